import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { ServiceDefinition } from "@grpc/grpc-js";

/**
 * protobuf-es v2 describes services; @grpc/grpc-js needs serialize/deserialize functions.
 * This adapter is the only glue between the two: it turns a generated service descriptor into a
 * grpc-js ServiceDefinition using protobuf-es's binary codec, so both ends of every RPC use the
 * committed generated code and there is no second (proto-loader) code path on the hot path.
 */
export function grpcServiceDefinition<T extends GenServiceMethods>(service: GenService<T>): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const method of service.methods) {
    // Unary calls, and bidi streams of id-correlated exchanges (exchange/protocol.ts); nothing else.
    const bidi = method.methodKind === "bidi_streaming";
    if (method.methodKind !== "unary" && !bidi) throw new Error(`${service.typeName}.${method.name}: only unary and bidi-streaming RPCs are supported`);
    def[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: bidi,
      responseStream: bidi,
      requestSerialize: serializer(method.input),
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
      originalName: method.localName,
    };
  }
  return def;
}

function serializer<D extends DescMessage>(schema: D) {
  return (value: MessageInitShape<D>): Buffer => {
    const bytes = toBinary(schema, create(schema, value));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer<D extends DescMessage>(schema: D) {
  return (bytes: Buffer): MessageShape<D> => fromBinary(schema, bytes);
}

/** Request type of method K of a generated service. */
export type RpcInput<T extends GenServiceMethods, K extends keyof T> = MessageShape<T[K]["input"]>;
/** Response type of method K of a generated service. */
export type RpcOutput<T extends GenServiceMethods, K extends keyof T> = MessageShape<T[K]["output"]>;
