import { NotFoundError } from "../errors";
import type { EventFactory, SystemEvent } from "../events/system-events";
import type { Org, StoredKey } from "../types";
import type { ListPosition } from "../validation";
import type { KeyPatch, KeyStore, RotationEnd } from "./key-store";

const clone = <T>(v: T): T => structuredClone(v);

/** Newest first: created_at, then id, descending (the order PgKeyStore uses). */
function newerFirst(a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** In-memory {@link KeyStore} for unit tests; mirrors PgKeyStore's semantics, including org scoping. */
export class MemoryKeyStore implements KeyStore {
  private readonly orgs = new Map<string, Org>();
  private readonly keys = new Map<string, StoredKey>();
  /** The outbox: events of committed changes, in order. */
  readonly events: SystemEvent[] = [];

  private emit(event: EventFactory | undefined, changed: StoredKey): void {
    const e = event?.(clone(changed));
    if (e) this.events.push(clone(e));
  }

  async insertOrg(org: Org): Promise<void> {
    this.orgs.set(org.id, clone(org));
  }

  async ensureRootOrg(candidate: Org): Promise<Org> {
    const existing = [...this.orgs.values()].find((o) => o.name === "root");
    if (existing) return clone(existing);
    await this.insertOrg(candidate);
    return clone(candidate);
  }

  async listOrgs(): Promise<Org[]> {
    return [...this.orgs.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1)).map(clone);
  }

  async insertKey(key: StoredKey, event?: EventFactory): Promise<void> {
    if (!this.orgs.has(key.orgId)) throw new NotFoundError(`org ${key.orgId} not found`);
    if ([...this.keys.values()].some((k) => k.keyHash === key.keyHash)) throw new Error("duplicate key hash");
    this.keys.set(key.id, clone(key));
    this.emit(event, key);
  }

  async insertRootKeyIfAbsent(key: StoredKey): Promise<boolean> {
    if ((await this.findActiveRootKey()) || [...this.keys.values()].some((k) => k.keyHash === key.keyHash)) return false;
    await this.insertKey(key);
    return true;
  }

  async findActiveRootKey(): Promise<StoredKey | null> {
    const k = [...this.keys.values()].find((k) => k.root && !k.revokedAt && !k.expiresAt);
    return k ? clone(k) : null;
  }

  async getKey(orgId: string, id: string): Promise<StoredKey | null> {
    const k = this.keys.get(id);
    return k && k.orgId === orgId ? clone(k) : null;
  }

  async findKeyByHash(keyHash: string): Promise<StoredKey | null> {
    const k = [...this.keys.values()].find((k) => k.keyHash === keyHash);
    return k ? clone(k) : null;
  }

  async listKeys(orgId: string, limit: number, after?: ListPosition, search?: string): Promise<StoredKey[]> {
    const needle = search?.toLowerCase();
    return [...this.keys.values()]
      .filter((k) => k.orgId === orgId && !k.revokedAt)
      .filter((k) => !needle || k.name.toLowerCase().includes(needle) || k.id === needle)
      .filter((k) => !after || newerFirst(after, k) < 0) // strictly older than the cursor
      .sort(newerFirst)
      .slice(0, limit)
      .map(clone);
  }

  async updateKey(orgId: string, id: string, patch: KeyPatch, event?: EventFactory): Promise<StoredKey | null> {
    const k = this.keys.get(id);
    if (!k || k.orgId !== orgId || k.revokedAt) return null;
    if (patch.name !== undefined) k.name = patch.name;
    if (patch.scopes !== undefined) k.scopes = [...patch.scopes];
    if (patch.metadata !== undefined) k.metadata = clone(patch.metadata);
    if (patch.expiresAt !== undefined) k.expiresAt = patch.expiresAt;
    if (patch.rateLimit !== undefined) k.rateLimit = patch.rateLimit && { ...patch.rateLimit };
    this.emit(event, k);
    return clone(k);
  }

  async revokeKey(orgId: string, id: string, at: Date, event?: EventFactory): Promise<StoredKey | null> {
    const k = this.keys.get(id);
    if (!k || k.orgId !== orgId) return null;
    k.revokedAt ??= at;
    this.emit(event, k);
    return clone(k);
  }

  async rotateKey(orgId: string, id: string, successor: StoredKey, end: RotationEnd, event?: EventFactory): Promise<StoredKey | null> {
    const k = this.keys.get(id);
    if (!k || k.orgId !== orgId || k.revokedAt || k.supersededBy) return null;
    if ("revokedAt" in end) k.revokedAt = end.revokedAt;
    else k.expiresAt = end.expiresAt;
    k.supersededBy = successor.id;
    await this.insertKey(successor);
    this.emit(event, k);
    return clone(k);
  }

  async touchKey(id: string, at: Date, minIntervalMs: number): Promise<void> {
    const k = this.keys.get(id);
    if (k && (!k.lastUsedAt || at.getTime() - k.lastUsedAt.getTime() >= minIntervalMs)) k.lastUsedAt = at;
  }
}
