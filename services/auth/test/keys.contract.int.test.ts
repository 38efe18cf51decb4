/**
 * The fixed gRPC contract (docs/reference/grpc.md): VerifyKey as any gRPC client sees it, using only the .proto file (no generated code).
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { generateApiKey } from "@datahub/runtime";
import { testMetadata } from "@datahub/runtime/testing";
import { newOrg, startAuth, type AuthHarness } from "./auth-harness";

const PROTO_ROOT = fileURLToPath(new URL("../../../proto", import.meta.url));

interface VerifyReply {
  valid: boolean;
  key_id: string;
  org_id: string;
  scopes: string[];
  code: string;
  root: boolean;
  expires_at: { seconds: string } | null;
  rate_limit: { limit: string; window_seconds: string; algorithm: string } | null;
}

let h: AuthHarness;
let client: grpc.Client & { VerifyKey: Function };
const verify = (key: string) =>
  new Promise<VerifyReply>((resolve, reject) =>
    client.VerifyKey({ key }, testMetadata(), { deadline: Date.now() + 2000 }, (err: Error | null, res: VerifyReply) => (err ? reject(err) : resolve(res))),
  );

beforeAll(async () => {
  h = await startAuth();
  const def = protoLoader.loadSync("datahub/auth/v1/auth.proto", { includeDirs: [PROTO_ROOT], keepCase: true, enums: String, longs: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { datahub: { auth: { v1: { AuthService: grpc.ServiceClientConstructor } } } };
  client = new pkg.datahub.auth.v1.AuthService(`127.0.0.1:${h.runner.ports.grpc}`, grpc.credentials.createInsecure()) as never;
});
afterAll(async () => {
  client.close();
  await h.close();
});

describe("VerifyKey contract (plain grpc-js + proto-loader)", () => {
  it("valid key: valid, key_id, org_id, scopes, VERIFY_CODE_VALID", async () => {
    const orgId = await newOrg(h);
    const { key, apiKey } = await h.client.createKey({ orgId, name: "c", scopes: ["orders:read"], rateLimit: { limit: 7n, windowSeconds: 30n } });
    const res = await verify(key);
    expect(res).toMatchObject({ valid: true, key_id: apiKey!.id, org_id: orgId, scopes: ["orders:read"], code: "VERIFY_CODE_VALID", root: false });
    expect(res.rate_limit).toMatchObject({ limit: "7", window_seconds: "30", algorithm: "" });
  });

  it("root key: root true, scopes *", async () => {
    expect(await verify(h.rootKey!)).toMatchObject({ valid: true, root: true, scopes: ["*"], code: "VERIFY_CODE_VALID" });
  });

  it("unknown key: VERIFY_CODE_NOT_FOUND", async () => {
    expect(await verify(generateApiKey())).toMatchObject({ valid: false, key_id: "", code: "VERIFY_CODE_NOT_FOUND", scopes: [] });
  });

  it("malformed keys: VERIFY_CODE_MALFORMED", async () => {
    const good = generateApiKey();
    for (const bad of ["", "dh_short", "Bearer x", good.slice(0, -1) + (good.endsWith("0") ? "1" : "0"), "dh_" + "a".repeat(38)]) {
      expect(await verify(bad)).toMatchObject({ valid: false, code: "VERIFY_CODE_MALFORMED" });
    }
  });

  it("revoked key: VERIFY_CODE_REVOKED", async () => {
    const orgId = await newOrg(h);
    const { key, apiKey } = await h.client.createKey({ orgId, name: "r" });
    await h.client.revokeKey({ orgId, id: apiKey!.id });
    expect(await verify(key)).toMatchObject({ valid: false, code: "VERIFY_CODE_REVOKED", scopes: [] });
  });

  it("expired key: VERIFY_CODE_EXPIRED", async () => {
    const orgId = await newOrg(h);
    const { key, apiKey } = await h.client.createKey({ orgId, name: "e", scopes: ["a"] });
    // Move its expiry into the past directly: no waiting on wall-clock time.
    await h.sql("UPDATE auth.api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", [apiKey!.id]);
    const res = await verify(key);
    expect(res).toMatchObject({ valid: false, code: "VERIFY_CODE_EXPIRED", scopes: [] });
    expect(Number(res.expires_at!.seconds) * 1000).toBeLessThan(Date.now());
  });
});
