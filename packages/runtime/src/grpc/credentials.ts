/**
 * The two halves of internal gRPC security that are not the caller check (caller-auth.ts): what a
 * DataHub process presents when it calls (the internal token, over TLS when configured) and the
 * TLS of its own gRPC port. docs/security.md, "Internal gRPC", says how they fit next to a mesh.
 */
import { readFileSync } from "node:fs";
import { credentials, InterceptingCall, ServerCredentials, type ChannelCredentials, type Interceptor } from "@grpc/grpc-js";
import { ConfigError, type Config, type GrpcTlsConfig } from "../config";

/** What a client presents: a bearer credential in every call's metadata, over these channel credentials. */
export interface RpcCredentials {
  /** Sent as `authorization: Bearer <bearer>`: the internal token, or an API key for an outside caller. */
  bearer?: string;
  /** TLS (and a client certificate) for the channel; plaintext when omitted. */
  channel?: ChannelCredentials;
}

/**
 * A client interceptor that adds `authorization: Bearer <credential>` when a call starts: one seam
 * for unary calls and streams alike (an exchange stream presents it once, when it opens).
 */
export function bearerInterceptor(credential: string): Interceptor {
  const value = `Bearer ${credential}`;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set("authorization", value);
        next(metadata, listener);
      },
    });
}

function read(name: string, path: string | undefined): Buffer | null {
  if (path === undefined) return null;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`invalid ${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

function material(tls: GrpcTlsConfig) {
  return {
    cert: read("DATAHUB_GRPC_TLS_CERT", tls.cert),
    key: read("DATAHUB_GRPC_TLS_KEY", tls.key),
    ca: read("DATAHUB_GRPC_TLS_CA", tls.ca),
  };
}

/** What this process presents to the other DataHub services: the internal token, over TLS when configured. */
export function internalCredentials(config: Config): RpcCredentials {
  if (config.grpcTls === undefined) return { bearer: config.internal.tokens[0] };
  const { cert, key, ca } = material(config.grpcTls);
  // No CA: the system roots verify the servers (certificates from a public or corporate CA).
  return { bearer: config.internal.tokens[0], channel: credentials.createSsl(ca, key, cert) };
}

/**
 * Credentials of this process's gRPC port: plaintext without `DATAHUB_GRPC_TLS_CERT`; TLS with it;
 * and with `DATAHUB_GRPC_TLS_CA` also, client certificates signed by that CA are required (mTLS).
 */
export function serverCredentials(config: Config): ServerCredentials {
  const tls = config.grpcTls;
  if (tls?.cert === undefined) return ServerCredentials.createInsecure();
  const { cert, key, ca } = material(tls);
  return ServerCredentials.createSsl(ca, [{ cert_chain: cert!, private_key: key! }], ca !== null);
}
