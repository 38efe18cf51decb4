import type { DatahubModule } from "@datahub/runtime";
import { authModule } from "@datahub/auth";
import { ratelimitModule } from "@datahub/ratelimit";
import { auditModule } from "@datahub/audit";
import { webhooksModule } from "@datahub/webhooks";
import { edgeModule } from "@datahub/edge";

/** Every service module this binary can run; `DATAHUB_TARGET` picks among them. */
export const ALL_MODULES: DatahubModule[] = [authModule, ratelimitModule, auditModule, webhooksModule, edgeModule];
