/**
 * One jest run covers everything. Files named `*.int.test.ts` are integration tests: they talk to
 * the real PostgreSQL and Redis on 127.0.0.1 and over the real gRPC wire. `npm test` runs all.
 */
const swc = ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "es6" } }];
const common = {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  transform: { "^.+\\.ts$": swc },
  testPathIgnorePatterns: ["/node_modules/"],
};
export default {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/**/*.test.ts"], testPathIgnorePatterns: ["/node_modules/", "\\.int\\.test\\.ts$"] },
    { ...common, displayName: "integration", testMatch: ["<rootDir>/**/*.int.test.ts"] },
  ],
};
