// Entry of the services worker thread (see src/services-thread.ts). Loader hooks registered in
// the main thread do not reach workers, so the thread registers tsx itself.
import { register } from "tsx/esm/api";

register();
await import("../src/tracing-preload.ts");
await import("../src/services-thread.ts");
