/**
 * Key search (`ListKeysRequest.search`) with the same cases against Postgres (over gRPC) and the
 * in-memory store: name contains (case-insensitive, LIKE wildcards literal), exact id, with
 * pagination, bounded, and never crossing orgs.
 */
import { GrpcStatus } from "@datahub/runtime";
import { newOrg, startAuth, type AuthHarness } from "./auth-harness";
import { memoryKeys } from "./helpers";

type Lister = (orgId: string, page: { search?: string; limit?: number; cursor?: string }) => Promise<{ names: string[]; ids: string[]; nextCursor: string }>;

interface Subject {
  list: Lister;
  create(orgId: string, name: string): Promise<string>;
  org(): Promise<string>;
}

const NAMES = ["Billing worker", "billing-cron", "Search 100% done", "under_score", "underXscore", "ops"];

function cases(name: string, subject: () => Subject) {
  describe(`key search (${name})`, () => {
    let s: Subject;
    let org: string;
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      s = subject();
      org = await s.org();
      for (const n of NAMES) ids[n] = await s.create(org, n);
      // Another org's key with a matching name must never show up.
      await s.create(await s.org(), "billing elsewhere");
    });

    it("matches names containing the text, in any case, newest first", async () => {
      expect((await s.list(org, { search: "BILLING" })).names).toEqual(["billing-cron", "Billing worker"]);
    });

    it("treats % and _ as themselves", async () => {
      expect((await s.list(org, { search: "100%" })).names).toEqual(["Search 100% done"]);
      expect((await s.list(org, { search: "under_" })).names).toEqual(["under_score"]);
    });

    it("finds a key by its id", async () => {
      expect((await s.list(org, { search: ids.ops! })).names).toEqual(["ops"]);
    });

    it("pages through the matches", async () => {
      const p1 = await s.list(org, { search: "e", limit: 2 });
      expect(p1.names).toHaveLength(2);
      expect(p1.nextCursor).not.toBe("");
      const p2 = await s.list(org, { search: "e", limit: 2, cursor: p1.nextCursor });
      const all = (await s.list(org, { search: "e", limit: 100 })).names;
      expect([...p1.names, ...p2.names]).toEqual(all.slice(0, 4));
    });

    it("answers nothing for text no name contains, and everything for empty text", async () => {
      expect((await s.list(org, { search: "zzz" })).names).toEqual([]);
      expect((await s.list(org, { search: "" })).names).toHaveLength(NAMES.length);
    });
  });
}

let h: AuthHarness;
afterAll(() => h?.close());

cases("PostgreSQL over gRPC", () => ({
  async org() {
    h ??= await startAuth();
    return newOrg(h);
  },
  async create(orgId, name) {
    return (await h.client.createKey({ orgId, name, scopes: [] })).apiKey!.id;
  },
  async list(orgId, page) {
    const r = await h.client.listKeys({ orgId, limit: page.limit ?? 50, cursor: page.cursor ?? "", search: page.search ?? "" });
    return { names: r.apiKeys.map((k) => k.name), ids: r.apiKeys.map((k) => k.id), nextCursor: r.nextCursor };
  },
}));

const m = memoryKeys();
cases("memory store", () => ({
  async org() {
    return (await m.keys.createOrg(`org ${Math.random()}`)).id;
  },
  async create(orgId, name) {
    m.advance(1000);
    return (await m.keys.createKey({ orgId, name })).apiKey.id;
  },
  async list(orgId, page) {
    const r = await m.keys.listKeys(orgId, page);
    return { names: r.keys.map((k) => k.name), ids: r.keys.map((k) => k.id), nextCursor: r.nextCursor };
  },
}));

describe("key search bounds", () => {
  it("refuses text over 100 characters with INVALID_ARGUMENT naming the field", async () => {
    h ??= await startAuth();
    const orgId = await newOrg(h);
    const err = await h.client.listKeys({ orgId, search: "x".repeat(101) }).catch((e: { code: number; details: string }) => e);
    expect(err).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    expect((err as { details: string }).details).toMatch(/^search: /);
  });
});
