#!/usr/bin/env node
// The `datahub` command. DataHub runs its TypeScript sources through tsx (esbuild), so there is
// no build step between a checkout and a running gateway.
import { register } from "tsx/esm/api";

register();
// .datahub.env first: the tracing preload reads OTEL_* and the config the rest.
await import("../src/load-env-file.ts");
// Tracing starts before anything imports pg or ioredis, so their instrumentations see them load
// (not for `start --help`, which only prints).
const help = process.argv.includes("--help") || process.argv.includes("-h");
if (process.argv[2] === "start" && !help) await import("../src/tracing-preload.ts");
await import("../src/main.ts");
