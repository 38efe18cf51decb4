/**
 * Coalesces calls made within `windowMs` into one batch call (DataLoader's idea, without the
 * cache). The delivery workers use it so N concurrent attempts cost one Postgres round trip to
 * load and one to record, instead of N each: at ~1,000 deliveries/s the per-query overhead of
 * node-pg and Postgres is what bounds throughput on a 2-core machine. Hand-written because it is
 * 40 lines and DataLoader's per-key cache would be wrong here (state changes between attempts).
 */
export class Batcher<K, V> {
  private keys: K[] = [];
  private waiters: Array<{ resolve(v: V): void; reject(e: unknown): void }> = [];
  private timer?: NodeJS.Timeout;

  /**
   * @param run takes the batch's keys and returns one value per key, in order.
   * @param windowMs how long the first call of a batch waits for company.
   * @param maxBatch a batch this large runs at once.
   */
  constructor(
    private readonly run: (keys: K[]) => Promise<V[]>,
    private readonly windowMs = 2,
    private readonly maxBatch = 500,
  ) {}

  /** Adds `key` to the current batch; resolves with its value once the batch ran. */
  call(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.keys.push(key);
      this.waiters.push({ resolve, reject });
      if (this.keys.length >= this.maxBatch) this.fire();
      else this.timer ??= setTimeout(() => this.fire(), this.windowMs);
    });
  }

  private fire(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const keys = this.keys;
    const waiters = this.waiters;
    this.keys = [];
    this.waiters = [];
    if (keys.length === 0) return;
    this.run(keys).then(
      (values) => waiters.forEach((w, i) => w.resolve(values[i]!)),
      (err) => waiters.forEach((w) => w.reject(err)),
    );
  }
}
