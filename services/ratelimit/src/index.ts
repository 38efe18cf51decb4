import type { DatahubModule } from "@datahub/runtime";

/** The ratelimit service as a runner module (filled in by the ratelimit work). */
export const ratelimitModule: DatahubModule = {
  name: "ratelimit",
  requires: ["grpc"],
  async start() {
    throw new Error("ratelimit service not built yet");
  },
};
