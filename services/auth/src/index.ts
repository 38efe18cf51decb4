/**
 * @datahub/auth: organisations and API keys (Postgres schema `auth`), served as
 * datahub.auth.v1.AuthService. See README.md.
 */
export { authModule } from "./module";
export { migrateAuth, openKeyAdmin, AUTH_MIGRATIONS_DIR } from "./admin";
export { resetRootKey, type RootKeyReset } from "./root-reset";
export { KeyManager, type CreateKeyInput, type UpdateKeyInput, type KeyManagerOptions } from "./key-manager";
export { MemoryKeyStore } from "./store/memory-key-store";
export { PgKeyStore } from "./store/pg-key-store";
export type { KeyStore, KeyPatch } from "./store/key-store";
export { NoopInvalidationPublisher, RedisInvalidationPublisher, type InvalidationPublisher } from "./invalidation";
export { ValidationError, NotFoundError, PreconditionError, StoreUnavailableError } from "./errors";
export { KEY_LIMITS } from "./validation";
export type { ApiKeyInfo, IssuedKey, Org, RateLimitPolicy, VerifyResult, VerifyCode, JsonObject } from "./types";
