/** Test helpers for Redis: key cleanup and a TCP proxy that can stall replies (a "slow Redis"). */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { RedisClient } from "@datahub/runtime";

/** Deletes every key under `${prefix}:` (SCAN, never KEYS). */
export async function deleteKeys(client: RedisClient, prefix: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await (client as import("ioredis").Redis).scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys);
  } while (cursor !== "0");
  return deleted;
}

/** Lists keys under `${prefix}:`. */
export async function listKeys(client: RedisClient, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await (client as import("ioredis").Redis).scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== "0");
  return out;
}

/** A TCP proxy in front of Redis whose replies can be held back, simulating a stalled server. */
export async function stallableProxy(target: { host: string; port: number }) {
  let stalled = false;
  const sockets = new Set<Socket>();
  const held: Array<() => void> = [];
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on("data", (chunk) => (stalled ? held.push(() => client.write(chunk)) : client.write(chunk)));
    const close = () => (client.destroy(), upstream.destroy());
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    stall: () => void (stalled = true),
    resume: () => {
      stalled = false;
      held.splice(0).forEach((f) => f());
    },
    close: () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}
