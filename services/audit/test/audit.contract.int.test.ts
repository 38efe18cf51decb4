/**
 * Contract test: a client that knows only proto/datahub/audit/v1/audit.proto (plain @grpc/grpc-js
 * + @grpc/proto-loader, no generated code, no DataHub runtime) can use every RPC.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { testMetadata } from "@datahub/runtime/testing";
import { startAudit, type AuditHarness } from "./harness";

const PROTO_ROOT = fileURLToPath(new URL("../../../proto", import.meta.url));

type Callback = (err: grpc.ServiceError | null, res: any) => void;
type DynamicClient = grpc.Client &
  Record<string, (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => void> & {
    AppendLogsStream(md: grpc.Metadata): grpc.ClientDuplexStream<unknown, any>;
  };

let h: AuditHarness;
let client: DynamicClient;

const call = (method: string, req: unknown) =>
  new Promise<any>((resolve, reject) =>
    client[method]!(req, testMetadata(), { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res))),
  );

beforeAll(async () => {
  h = await startAudit();
  const def = loadSync("datahub/audit/v1/audit.proto", { includeDirs: [PROTO_ROOT], keepCase: true, longs: Number, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const Ctor = pkg.datahub.audit.v1.AuditService as typeof grpc.Client;
  client = new Ctor(h.grpcAddress, grpc.credentials.createInsecure()) as DynamicClient;
});
afterAll(async () => {
  client?.close();
  await h?.close();
});

describe("datahub.audit.v1.AuditService over the .proto alone", () => {
  const ts = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
  const record = {
    request_id: "contract-1",
    timestamp_ms: ts,
    method: "POST",
    path: "/api/orders",
    route: "orders",
    status: 201,
    duration_ms: 12.5,
    gateway_ms: 0.75,
    key_id: "key-c",
    org_id: "org-c",
    client_ip: "192.0.2.1",
    user_agent: "contract/1.0",
    bytes_in: 123,
    bytes_out: 456,
    trace_id: "0af7651916cd43dd8448eb211c80319c",
    error: "",
    // For the batch's span links only: not stored, so QueryLogs answers it empty.
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  };

  it("AppendLogsStream answers each batch by id with accepted/rejected, and a refused batch with error_code", async () => {
    // The exchange protocol with nothing but the .proto: write { id, batch }, read { id, batch | error_code }.
    const stream = client.AppendLogsStream(testMetadata());
    const answers: any[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on("data", (m: any) => answers.push(m));
      stream.on("error", reject);
      stream.on("status", () => resolve());
    });
    stream.write({ id: 7, batch: { records: [record, { ...record, request_id: "contract-2", timestamp_ms: ts + 1, status: 429, error: "rate_limited" }] } });
    stream.write({ id: 8, batch: { records: Array.from({ length: 10_001 }, () => record) } });
    stream.end(); // half-close: the server answers what it read, then ends the stream with OK
    await ended;
    const byId = new Map(answers.map((a) => [Number(a.id), a]));
    expect(byId.get(7)).toMatchObject({ batch: { accepted: 2, rejected: 0 }, error_code: 0 });
    expect(byId.get(8)).toMatchObject({ batch: null, error_code: grpc.status.INVALID_ARGUMENT, error_message: "records: at most 10000 per call, got 10001" });
  });

  it("QueryLogs returns records with every field, newest first, and a cursor", async () => {
    const page1 = await call("QueryLogs", { org_id: "org-c", limit: 1 });
    expect(page1.records).toHaveLength(1);
    expect(page1.records[0].request_id).toBe("contract-2");
    expect(page1.next_cursor).not.toBe("");
    const page2 = await call("QueryLogs", { org_id: "org-c", limit: 1, cursor: page1.next_cursor });
    expect(page2.records[0]).toEqual({ ...record, traceparent: "" });
    expect(page2.next_cursor).toBe("");
  });

  it("GetLog finds a record and answers NOT_FOUND otherwise", async () => {
    expect((await call("GetLog", { org_id: "org-c", request_id: "contract-1" })).record.status).toBe(201);
    await expect(call("GetLog", { org_id: "org-c", request_id: "missing" })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("GetUsage buckets by minute with the enum by name", async () => {
    const res = await call("GetUsage", { org_id: "org-c", from_ms: ts, to_ms: ts + 60_000, granularity: "GRANULARITY_MINUTE" });
    expect(res.buckets).toEqual([
      expect.objectContaining({ bucket_ms: ts, requests: 2, errors: 0, rate_limited: 1 }),
    ]);
  });

  it("answers INVALID_ARGUMENT with the field named", async () => {
    await expect(call("QueryLogs", { org_id: "" })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining("org_id") });
  });
});
