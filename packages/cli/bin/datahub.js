#!/usr/bin/env node
// The `datahub` command. DataHub runs its TypeScript sources through tsx (esbuild), so there is
// no build step between a checkout and a running gateway.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
