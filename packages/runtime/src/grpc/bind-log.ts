/**
 * grpc-js prints a line of its own when a bind fails ("No address added out of total N
 * resolved") besides returning the error; `GrpcHost.listen` turns that error into the one line
 * start-up prints for a port it cannot bind (README, "Configuration"), so the extra line goes.
 */
import { setLogger } from "@grpc/grpc-js";

const BIND_FAILED = "No address added";

let installed = false;

/**
 * Installs a grpc-js logger that prints every line as grpc-js's default logger does (stderr,
 * `E`/`I`/`D` prefix) except the bind failure. Once per thread; later calls do nothing.
 */
export function dropBindFailureLine(): void {
  if (installed) return;
  installed = true;
  const print =
    (prefix: string) =>
    (message?: unknown, ...rest: unknown[]) =>
      console.error(`${prefix} ${String(message)}`, ...rest);
  const error = print("E");
  setLogger({
    error: (message?: unknown, ...rest: unknown[]) => {
      if (!String(message).startsWith(BIND_FAILED)) error(message, ...rest);
    },
    info: print("I"),
    debug: print("D"),
  });
}
