import { Worker } from "node:worker_threads";
import { ListenError, type Config, type MetricsSource } from "@datahub/runtime";
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
 * Rejects with the thread's own start-up error (e.g. Postgres unreachable; a port it cannot bind
 * is the same `ListenError` as on the main thread).
 */
export function startServicesThread(config: Config): Promise<ServicesThread> {
  const worker = new Worker(new URL("../bin/services-thread.js", import.meta.url), { workerData: config });
  let nextId = 1;
  let exited = false;
  const pending = new Map<number, { answer(r: ThreadReply): void; fail(err: Error): void }>();
  const exitedPromise = new Promise<void>((resolve) =>
    worker.once("exit", () => {
      exited = true;
      // A thread that is gone answers nothing: no caller waits out its timeout for it.
      for (const p of pending.values()) p.fail(new Error("services thread exited"));
      pending.clear();
      resolve();
    }),
  );
  const ask = <T extends ThreadReply>(type: ThreadRequest["type"]): Promise<T> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error("services thread exited"));
      const id = nextId++;
      const timer = setTimeout(() => (pending.delete(id), reject(new Error(`services thread did not answer "${type}"`))), 30_000);
      pending.set(id, { answer: (r) => (clearTimeout(timer), resolve(r as T)), fail: (err) => (clearTimeout(timer), reject(err)) });
      worker.postMessage({ type, id } satisfies ThreadRequest);
    });

  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    void exitedPromise.then(() => reject(new Error("services thread exited during start-up")));
    worker.on("message", (msg: ThreadReply) => {
      if (msg.type === "failed") {
        const { listen } = msg;
        const err = listen ? new ListenError(listen.variable, listen.address, listen.reason) : Object.assign(new Error(msg.message), { code: msg.code });
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
            // Once stopped, the thread ends as soon as its last sockets have closed; only one
            // that lingers past that is cut.
            const linger = setTimeout(() => void worker.terminate(), 2000);
            await exitedPromise;
            clearTimeout(linger);
          },
        });
      } else {
        pending.get(msg.id)?.answer(msg);
        pending.delete(msg.id);
      }
    });
  });
}
