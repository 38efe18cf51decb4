import type { DatahubModule } from "@datahub/runtime";

/** The audit service as a runner module (filled in by the audit work). */
export const auditModule: DatahubModule = {
  name: "audit",
  requires: ["grpc"],
  async start() {
    throw new Error("audit service not built yet");
  },
};
