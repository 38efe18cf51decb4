/**
 * Listeners that cannot bind their port stop start-up loudly: one line naming the variable, the
 * address and the reason, and exit code 1, so a supervisor sees the failure and restarts the
 * process (README, "Configuration").
 */
import type { Server } from "node:net";
import { setLogger } from "@grpc/grpc-js";

/** What an operator reads for the bind failures they can fix. */
const REASONS: Record<string, string> = {
  EADDRINUSE: "address already in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "address not available on this host",
};

/** A listener could not bind `address`, the port set by the environment variable `variable`. */
export class ListenError extends Error {
  override name = "ListenError";

  constructor(
    readonly variable: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`${variable}: cannot listen on ${address}: ${reason}`);
  }
}

/** `host:port`, with an IPv6 host in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The {@link ListenError} for a failed bind of `host:port`. The errno code comes from the error
 * itself (node:net) or from its message (grpc-js reports `listen EADDRINUSE: …` only as text).
 */
export function listenError(variable: string, host: string, port: number, err: unknown): ListenError {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === "string" ? e.code : /\b(E[A-Z]{3,})\b/.exec(String(e?.message ?? err))?.[1];
  const reason = code === undefined ? String(e?.message ?? err) : `${REASONS[code] ?? "bind failed"} (${code})`;
  return new ListenError(variable, hostPort(host, port), reason);
}

/**
 * Binds `server` to `host:port`; resolves with the bound port (useful with port 0), rejects with
 * a {@link ListenError} naming `variable`.
 */
export function listenOn(server: Server, variable: string, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => reject(listenError(variable, host, port, err));
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve((server.address() as { port: number }).port);
    });
  });
}

let grpcLoggerInstalled = false;

/**
 * grpc-js prints a line of its own when a bind fails ("No address added out of total N
 * resolved") besides returning the error that `GrpcHost.listen` turns into the one line: this
 * installs a grpc-js logger that prints every other line as grpc-js's default logger does (stderr,
 * `E`/`I`/`D` prefix). Once per thread; later calls do nothing.
 */
export function dropGrpcBindFailureLine(): void {
  if (grpcLoggerInstalled) return;
  grpcLoggerInstalled = true;
  const print =
    (prefix: string) =>
    (message?: unknown, ...rest: unknown[]) =>
      console.error(`${prefix} ${String(message)}`, ...rest);
  const error = print("E");
  setLogger({
    error: (message?: unknown, ...rest: unknown[]) => {
      if (!String(message).startsWith("No address added")) error(message, ...rest);
    },
    info: print("I"),
    debug: print("D"),
  });
}
