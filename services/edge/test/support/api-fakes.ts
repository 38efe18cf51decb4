/**
 * In-memory fakes of the auth and audit RpcClients for the management API's unit tests. They
 * behave like the services where the API depends on it: every call is scoped by `orgId`
 * (another org's object is NOT_FOUND), bad input is INVALID_ARGUMENT naming the field, and a
 * revoked key cannot be updated (FAILED_PRECONDITION). `failNext` injects any gRPC status.
 */
import { create } from "@bufbuild/protobuf";
import { TimestampSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { GrpcStatus, apiKeyPrefix, generateApiKey, newId, type RpcClient } from "@datahub/runtime";
import { audit, auth } from "@datahub/proto";
import type { AuditMethods, AuthMethods } from "../../src/api";

/** An error shaped like a grpc-js client error (code, details, metadata). */
export function grpcError(code: GrpcStatus, details: string): Error {
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: {} });
}

type Call = { method: string; req: Record<string, unknown> };

/** Wraps a method table as an RpcClient that records calls and can fail on demand. */
function asClient<T>(impl: Record<string, (req: never) => unknown>, calls: Call[], failures: Map<string, Error | { reply: unknown }>): T {
  const out: Record<string, unknown> = { close() {} };
  for (const [name, fn] of Object.entries(impl)) {
    out[name] = async (req: Record<string, unknown>) => {
      calls.push({ method: name, req });
      const fail = failures.get(name) ?? failures.get("*");
      if (fail) {
        failures.delete(name);
        failures.delete("*");
        if (fail instanceof Error) throw fail;
        return fail.reply;
      }
      return fn(req as never);
    };
  }
  return out as T;
}

interface StoredKey {
  apiKey: auth.ApiKey;
}

/** A fake AuthService holding orgs and keys in maps. */
export class FakeAuth {
  readonly orgs = new Map<string, auth.Org>();
  readonly keys = new Map<string, StoredKey>();
  readonly calls: Call[] = [];
  private readonly failures = new Map<string, Error | { reply: unknown }>();
  private seq = 0;

  /** The next call of `method` (or of any method, `*`) fails with this gRPC status. */
  failNext(method: keyof AuthMethods | "*", code: GrpcStatus, details = "injected failure"): void {
    this.failures.set(method, grpcError(code, details));
  }

  /** The next call of `method` answers `reply` as is (e.g. a response missing a field). */
  replyNext(method: keyof AuthMethods, reply: unknown): void {
    this.failures.set(method, { reply });
  }

  /** Adds an org directly (test setup). */
  seedOrg(name: string): auth.Org {
    const org = create(auth.OrgSchema, { id: newId(), name, createdAt: timestampFromMs(Date.now()) });
    this.orgs.set(org.id, org);
    return org;
  }

  /** Adds a key directly (test setup). */
  seedKey(orgId: string, scopes: string[], opts: { root?: boolean; name?: string } = {}): { apiKey: auth.ApiKey; key: string } {
    return this.insertKey({ orgId, name: opts.name ?? "seeded", scopes, root: opts.root ?? false });
  }

  private insertKey(init: { orgId: string; name: string; scopes: string[]; root?: boolean; metadata?: auth.ApiKey["metadata"]; expiresAt?: auth.ApiKey["expiresAt"]; rateLimit?: auth.ApiKey["rateLimit"] }) {
    const key = generateApiKey(init.root ? "dhr" : "dh");
    // Time-ordered ids sort in creation order, like UUIDv7 in the real store.
    const apiKey = create(auth.ApiKeySchema, {
      ...init,
      id: newId(),
      prefix: apiKeyPrefix(key),
      createdAt: timestampFromMs(Date.now() + this.seq++),
    });
    this.keys.set(apiKey.id, { apiKey });
    return { apiKey, key };
  }

  private find(orgId: string, id: string): StoredKey {
    const k = this.keys.get(id);
    if (!k || k.apiKey.orgId !== orgId) throw grpcError(GrpcStatus.NOT_FOUND, "key not found");
    return k;
  }

  /** The RpcClient the API under test calls. */
  client(): RpcClient<AuthMethods> {
    const impl = {
      verifyKey: () => {
        throw grpcError(GrpcStatus.UNIMPLEMENTED, "not used by the management API");
      },
      createOrg: (req: { name?: string }) => {
        if (!req.name) throw grpcError(GrpcStatus.INVALID_ARGUMENT, "name: is required");
        if ([...this.orgs.values()].some((o) => o.name === req.name)) throw grpcError(GrpcStatus.ALREADY_EXISTS, `org "${req.name}" already exists`);
        return create(auth.CreateOrgResponseSchema, { org: this.seedOrg(req.name) });
      },
      listOrgs: () => create(auth.ListOrgsResponseSchema, { orgs: [...this.orgs.values()] }),
      createKey: (req: Parameters<RpcClient<AuthMethods>["createKey"]>[0]) => {
        if (!req.orgId || !this.orgs.has(req.orgId)) throw grpcError(GrpcStatus.NOT_FOUND, "org not found");
        if (!req.name) throw grpcError(GrpcStatus.INVALID_ARGUMENT, "name: is required");
        const { apiKey, key } = this.insertKey({
          orgId: req.orgId,
          name: req.name,
          scopes: [...(req.scopes ?? [])],
          metadata: req.metadata,
          expiresAt: req.expiresAt ? create(TimestampSchema, req.expiresAt) : undefined,
          rateLimit: req.rateLimit ? create(auth.RateLimitSchema, req.rateLimit) : undefined,
        });
        return create(auth.CreateKeyResponseSchema, { apiKey, key });
      },
      getKey: (req: { orgId?: string; id?: string }) => create(auth.GetKeyResponseSchema, { apiKey: this.find(req.orgId ?? "", req.id ?? "").apiKey }),
      listKeys: (req: { orgId?: string; limit?: number; cursor?: string }) => {
        const all = [...this.keys.values()].map((k) => k.apiKey).filter((k) => k.orgId === req.orgId).sort((a, b) => (a.id < b.id ? -1 : 1));
        const start = req.cursor ? all.findIndex((k) => k.id === req.cursor) + 1 : 0;
        if (req.cursor && start === 0) throw grpcError(GrpcStatus.INVALID_ARGUMENT, "cursor: is not valid");
        const limit = req.limit || 50;
        const page = all.slice(start, start + limit);
        const more = start + limit < all.length;
        return create(auth.ListKeysResponseSchema, { apiKeys: page, nextCursor: more ? page[page.length - 1]!.id : "" });
      },
      updateKey: (req: Parameters<RpcClient<AuthMethods>["updateKey"]>[0]) => {
        const k = this.find(req.orgId ?? "", req.id ?? "").apiKey;
        if (k.revoked) throw grpcError(GrpcStatus.FAILED_PRECONDITION, "key is revoked");
        if (req.name !== undefined) k.name = req.name;
        if (req.scopes) k.scopes = [...(req.scopes.values ?? [])];
        if (req.metadata) k.metadata = req.metadata;
        if (req.expiresAt) k.expiresAt = create(TimestampSchema, req.expiresAt);
        if (req.clearExpiresAt) k.expiresAt = undefined;
        if (req.rateLimit) k.rateLimit = create(auth.RateLimitSchema, req.rateLimit);
        if (req.clearRateLimit) k.rateLimit = undefined;
        return create(auth.UpdateKeyResponseSchema, { apiKey: k });
      },
      revokeKey: (req: { orgId?: string; id?: string }) => {
        this.find(req.orgId ?? "", req.id ?? "").apiKey.revoked = true;
        return create(auth.RevokeKeyResponseSchema, {});
      },
      rotateKey: (req: { orgId?: string; id?: string; gracePeriodSeconds?: number }) => {
        const old = this.find(req.orgId ?? "", req.id ?? "").apiKey;
        if (old.revoked) throw grpcError(GrpcStatus.FAILED_PRECONDITION, "key is revoked");
        const { apiKey, key } = this.insertKey({ orgId: old.orgId, name: old.name, scopes: [...old.scopes], root: old.root, metadata: old.metadata, rateLimit: old.rateLimit });
        old.expiresAt = timestampFromMs(Date.now() + (req.gracePeriodSeconds ?? 0) * 1000);
        return create(auth.RotateKeyResponseSchema, { apiKey, key });
      },
    };
    return asClient<RpcClient<AuthMethods>>(impl, this.calls, this.failures);
  }
}

/** Plain fields of a log record for seeding. */
export type LogInit = { requestId: string; orgId: string; timestampMs: number } & Partial<{
  keyId: string;
  method: string;
  path: string;
  route: string;
  status: number;
  durationMs: number;
}>;

const BUCKET_MS: Record<number, number> = { [audit.Granularity.MINUTE]: 60_000, [audit.Granularity.HOUR]: 3_600_000, [audit.Granularity.DAY]: 86_400_000 };

/** A fake AuditService over an in-memory array of records. */
export class FakeAudit {
  readonly records: audit.LogRecord[] = [];
  readonly calls: Call[] = [];
  private readonly failures = new Map<string, Error | { reply: unknown }>();

  /** The next call of `method` (or of any method, `*`) fails with this gRPC status. */
  failNext(method: keyof AuditMethods | "*", code: GrpcStatus, details = "injected failure"): void {
    this.failures.set(method, grpcError(code, details));
  }

  /** The next call of `method` answers `reply` as is (e.g. a response missing a field). */
  replyNext(method: keyof AuditMethods, reply: unknown): void {
    this.failures.set(method, { reply });
  }

  /** Adds a record (test setup). */
  seed(r: LogInit): audit.LogRecord {
    const rec = create(audit.LogRecordSchema, {
      method: "GET",
      path: "/api/orders",
      route: "orders",
      status: 200,
      durationMs: 12.5,
      gatewayMs: 1.25,
      clientIp: "127.0.0.1",
      userAgent: "jest",
      bytesIn: 0n,
      bytesOut: 42n,
      ...r,
      timestampMs: BigInt(r.timestampMs),
    });
    this.records.push(rec);
    return rec;
  }

  /** The RpcClient the API under test calls. */
  client(): RpcClient<AuditMethods> {
    const newestFirst = (a: audit.LogRecord, b: audit.LogRecord) => Number(b.timestampMs - a.timestampMs);
    const impl = {
      appendLogsStream: () => create(audit.AppendLogsResponseSchema, {}),
      queryLogs: (req: Parameters<RpcClient<AuditMethods>["queryLogs"]>[0]) => {
        const from = Number(req.fromMs ?? 0);
        const to = Number(req.toMs ?? 0);
        const rows = this.records
          .filter(
            (r) =>
              r.orgId === req.orgId &&
              (!req.keyId || r.keyId === req.keyId) &&
              (!req.status || r.status === req.status) &&
              (!req.method || r.method === req.method) &&
              (!req.pathPrefix || r.path.startsWith(req.pathPrefix)) &&
              (!from || Number(r.timestampMs) >= from) &&
              (!to || Number(r.timestampMs) < to),
          )
          .sort(newestFirst);
        const start = req.cursor ? Number(req.cursor) : 0;
        if (!Number.isInteger(start)) throw grpcError(GrpcStatus.INVALID_ARGUMENT, "cursor: is not valid");
        const limit = req.limit || 50;
        const page = rows.slice(start, start + limit);
        return create(audit.QueryLogsResponseSchema, { records: page, nextCursor: start + limit < rows.length ? String(start + limit) : "" });
      },
      getLog: (req: { orgId?: string; requestId?: string }) => {
        const rec = this.records.filter((r) => r.orgId === req.orgId && r.requestId === req.requestId).sort(newestFirst)[0];
        if (!rec) throw grpcError(GrpcStatus.NOT_FOUND, "log record not found");
        return create(audit.GetLogResponseSchema, { record: rec });
      },
      getUsage: (req: Parameters<RpcClient<AuditMethods>["getUsage"]>[0]) => {
        const size = BUCKET_MS[req.granularity || audit.Granularity.HOUR]!;
        const buckets = new Map<number, audit.UsageBucket>();
        for (const r of this.records) {
          if (r.orgId !== req.orgId || (req.keyId && r.keyId !== req.keyId)) continue;
          const at = Math.floor(Number(r.timestampMs) / size) * size;
          const b = buckets.get(at) ?? create(audit.UsageBucketSchema, { bucketMs: BigInt(at) });
          b.requests += 1n;
          if (r.status === 429) b.rateLimited += 1n;
          else if (r.status >= 400) b.errors += 1n;
          b.p50Ms = r.durationMs;
          b.p95Ms = r.durationMs;
          buckets.set(at, b);
        }
        return create(audit.GetUsageResponseSchema, { buckets: [...buckets.values()].sort((a, b) => Number(a.bucketMs - b.bucketMs)) });
      },
    };
    return asClient<RpcClient<AuditMethods>>(impl, this.calls, this.failures);
  }
}
