import type { DatahubModule } from "@datahub/runtime";

/** The auth service as a runner module (filled in by the auth work). */
export const authModule: DatahubModule = {
  name: "auth",
  requires: ["grpc"],
  async start() {
    throw new Error("auth service not built yet");
  },
};
