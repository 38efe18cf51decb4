/** A readiness check: resolves true when the dependency it watches can serve. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

/**
 * Readiness of a process: draining (after SIGTERM) or any failing check makes `/readyz` 503 and
 * flips the gRPC health status to NOT_SERVING, so load balancers and kubelets stop sending work.
 */
export class Health {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly listeners: Array<(serving: boolean) => void> = [];
  private started = false;
  private draining = false;
  private serving = false;
  private watcher: NodeJS.Timeout | undefined;

  /** Registers a named readiness check (e.g. `postgres`, `redis`). */
  addCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Called by the runner once every module has started. */
  markStarted(): void {
    this.started = true;
    this.emit(true);
  }

  /** Called on shutdown: readiness fails from now on. */
  markDraining(): void {
    this.draining = true;
    this.stopWatching();
    this.emit(false);
  }

  /**
   * Re-evaluates the checks every `intervalMs` and emits a transition when readiness changes, so
   * that the gRPC health status (what Kubernetes' gRPC probes read) follows a dependency going down
   * and coming back, as `/readyz` does on every request.
   */
  watch(intervalMs: number): void {
    this.stopWatching();
    this.watcher = setInterval(() => {
      if (!this.started || this.draining) return;
      void this.report().then(({ ready }) => {
        if (!this.draining && ready !== this.serving) this.emit(ready);
      });
    }, intervalMs);
    this.watcher.unref();
  }

  stopWatching(): void {
    if (this.watcher !== undefined) clearInterval(this.watcher);
    this.watcher = undefined;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Subscribes to serving/not-serving transitions driven by the runner. */
  onChange(listener: (serving: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Evaluates every check; each one gets at most `timeoutMs`. */
  async report(timeoutMs = 1000): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const results: Record<string, boolean> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        results[name] = await withTimeout(Promise.resolve().then(check), timeoutMs).catch(() => false);
      }),
    );
    const ready = this.started && !this.draining && Object.values(results).every(Boolean);
    return { ready, checks: results };
  }

  private emit(serving: boolean): void {
    this.serving = serving;
    for (const l of this.listeners) l(serving);
  }
}

/**
 * Rejects when `p` takes longer than `ms`.
 *
 * Tolerant of event-loop lag: when the timer fires, the rejection waits for the check phase of
 * the same loop turn (setImmediate), which comes after the poll phase has read every socket that
 * is ready. So a reply that arrived in time but was not yet read because the process was busy
 * still wins; without this, a CPU-saturated process turns short deadlines (the rate limiter's
 * 50 ms Redis budget) into false timeouts. Measured: docs/architecture.md, "Deadlines".
 */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const t = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          settled = true;
          reject(new Error(`timed out after ${ms} ms`));
        }),
      ms,
    );
    p.then(
      (v) => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
