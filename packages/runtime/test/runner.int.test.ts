import * as grpc from "@grpc/grpc-js";
import { planModules, startRunner, type DatahubModule } from "@datahub/runtime";
import { captureLogger, testConfig, testEnv, uniqueSuffix } from "@datahub/runtime/testing";

const mod = (name: string, extra: Partial<DatahubModule> = {}): DatahubModule => ({ name, start: async () => ({}), ...extra });

describe("planModules", () => {
  it("starts requirements first and honours `after` only for modules in this process", () => {
    const mods = [mod("a", { requires: ["b"] }), mod("b"), mod("c", { after: ["a", "d"] }), mod("d")];
    expect(planModules(["c", "a"], mods).map((m) => m.name)).toEqual(["b", "a", "c"]);
  });
  it("rejects unknown modules and cycles", () => {
    expect(() => planModules(["x"], [mod("a")])).toThrow(/unknown module "x"/);
    expect(() => planModules(["a"], [mod("a", { requires: ["b"] }), mod("b", { requires: ["a"] })])).toThrow(/cycle/);
  });
});

describe("runner", () => {
  it("serves /metrics, /healthz, /readyz and grpc health; drains on stop", async () => {
    const env = await testEnv({ databaseUrl: "postgres://postgres@127.0.0.1/unused", redisPrefix: `t${uniqueSuffix()}` });
    const config = { ...testConfig(env), targets: ["x"] as never };
    const order: string[] = [];
    const { logger } = captureLogger();
    const runner = await startRunner({
      config,
      logger,
      modules: [mod("x", { requires: ["grpc"], start: async () => ({ stop: async () => void order.push("x stopped") }) })],
    });
    const base = `http://127.0.0.1:${runner.ports.metrics}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain("process_cpu_seconds_total");

    const client = new grpc.Client(`127.0.0.1:${runner.ports.grpc}`, grpc.credentials.createInsecure());
    const check = () =>
      new Promise<number>((resolve, reject) =>
        client.makeUnaryRequest(
          "/grpc.health.v1.Health/Check",
          () => Buffer.alloc(0),
          (b: Buffer) => b,
          {},
          (err, res) => (err ? reject(err) : resolve((res as Buffer)[1] ?? 0)),
        ),
      );
    expect(await check()).toBe(1); // SERVING
    runner.health.markDraining();
    expect(await check()).toBe(2); // NOT_SERVING
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    client.close();
    await runner.stop();
    expect(order).toEqual(["x stopped"]);
  });
});
