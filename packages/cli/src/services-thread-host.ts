import { Worker } from "node:worker_threads";
import type { Config, MetricsSource } from "@datahub/runtime";
import type { ThreadReply, ThreadRequest } from "./services-thread-protocol";

/** The services thread as the main thread sees it. */
export interface ServicesThread {
  grpcPort: number;
  /** Its metrics, for the process's `/metrics`. */
  metrics: MetricsSource;
  /** Its readiness (every check of every service in it). */
  ready(): Promise<boolean>;
  reload(): Promise<void>;
  /** Stops its services gracefully and ends the thread. */
  stop(): Promise<void>;
}

/**
 * Starts the non-edge targets of `config` on a worker thread and resolves once they serve.
 * Rejects with the thread's own start-up error (e.g. Postgres unreachable).
 */
export function startServicesThread(config: Config): Promise<ServicesThread> {
  const worker = new Worker(new URL("../bin/services-thread.js", import.meta.url), { workerData: config });
  let nextId = 1;
  const pending = new Map<number, (r: ThreadReply) => void>();
  const ask = <T extends ThreadReply>(type: ThreadRequest["type"]): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => (pending.delete(id), reject(new Error(`services thread did not answer "${type}"`))), 30_000);
      pending.set(id, (r) => (clearTimeout(timer), resolve(r as T)));
      worker.postMessage({ type, id } satisfies ThreadRequest);
    });

  return new Promise((resolve, reject) => {
    let exited = false;
    const exitedPromise = new Promise<void>((r) => worker.once("exit", () => ((exited = true), r())));
    worker.once("error", reject);
    worker.on("message", (msg: ThreadReply) => {
      if (msg.type === "failed") {
        const err = Object.assign(new Error(msg.message), { code: msg.code });
        void worker.terminate();
        reject(err);
      } else if (msg.type === "started") {
        resolve({
          grpcPort: msg.grpcPort,
          metrics: async () => (exited ? [] : (await ask<Extract<ThreadReply, { type: "metrics" }>>("metrics")).metrics),
          ready: async () => !exited && (await ask<Extract<ThreadReply, { type: "health" }>>("health")).ready,
          reload: async () => void worker.postMessage({ type: "reload", id: 0 } satisfies ThreadRequest),
          stop: async () => {
            if (!exited) await ask("stop").catch(() => undefined);
            await Promise.race([exitedPromise, new Promise((r) => setTimeout(r, 2000))]);
            if (!exited) await worker.terminate();
          },
        });
      } else {
        pending.get(msg.id)?.(msg);
        pending.delete(msg.id);
      }
    });
  });
}
