/**
 * Checks real HTTP answers against docs/api/openapi.yaml: the status must be listed explicitly
 * for the operation (`default` does not count, so a new status cannot hide behind it), the
 * DataHub headers sent must be documented for that response and the required ones present, and
 * the body must validate against the documented schema (ajv, JSON Schema 2020-12 = OpenAPI 3.1).
 * Mismatches are collected, not thrown, so one run lists them all.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";

type Json = Record<string, any>;

/** The OpenAPI document as parsed from its YAML source. */
export const openapiDoc: Json = parse(readFileSync(fileURLToPath(new URL("../../../../docs/api/openapi.yaml", import.meta.url)), "utf8"));

/** Headers the gateway itself sets: each one sent must be documented on the response. */
const CHECKED_HEADERS = ["x-request-id", "server-timing", "ratelimit", "ratelimit-policy", "retry-after", "www-authenticate", "allow", "location"];
const METHODS = ["get", "post", "put", "patch", "delete"];

/** One real answer, as `send` in edge-stack returns it. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: unknown;
}

const esc = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

function at(pointer: string): Json {
  return pointer
    .split("/")
    .slice(1)
    .reduce<Json>((node, part) => node?.[part.replace(/~1/g, "/").replace(/~0/g, "~")], openapiDoc);
}

/** Every operation of the document by operationId, with its path, method and JSON pointer. */
export function operations(): Map<string, { path: string; method: string; pointer: string }> {
  const out = new Map<string, { path: string; method: string; pointer: string }>();
  for (const [path, item] of Object.entries<Json>(openapiDoc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) out.set(op.operationId, { path, method: method.toUpperCase(), pointer: `/paths/${esc(path)}/${method}` });
    }
  }
  return out;
}

/** Validates answers; `mismatches` lists every disagreement with the document. */
export class OpenApiChecker {
  readonly mismatches: string[] = [];
  readonly exercised = new Map<string, Set<number>>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly ops = operations();

  constructor() {
    this.ajv.addSchema(openapiDoc, "openapi");
  }

  private validate(pointer: string, value: unknown): string | undefined {
    const v = this.ajv.getSchema(`openapi#${pointer}`);
    if (!v) return `no schema at ${pointer}`;
    return v(value) ? undefined : this.ajv.errorsText(v.errors, { dataVar: "body" });
  }

  /** Pointer of a response object, following a `$ref` to components/responses. */
  private responsePointer(pointer: string): string {
    const node = at(pointer);
    return typeof node?.$ref === "string" ? node.$ref.slice(1) : pointer;
  }

  /**
   * Checks `answer` against operation `opId` (or, with `component`, against a named
   * components/responses entry, for answers outside any operation such as an unknown path).
   */
  check(label: string, opId: string | { component: string }, answer: Answer): void {
    const fail = (msg: string): void => void this.mismatches.push(`${label}: ${msg}`);
    let pointer: string;
    if (typeof opId === "string") {
      const op = this.ops.get(opId);
      if (!op) return fail(`operation ${opId} is not in the document`);
      if (!this.exercised.has(opId)) this.exercised.set(opId, new Set());
      this.exercised.get(opId)!.add(answer.status);
      const responses = at(`${op.pointer}/responses`);
      if (!responses[String(answer.status)]) return fail(`status ${answer.status} is not documented for ${opId} (body ${answer.text.slice(0, 200)})`);
      pointer = this.responsePointer(`${op.pointer}/responses/${answer.status}`);
    } else {
      pointer = `/components/responses/${opId.component}`;
    }
    const response = at(pointer);
    const headers: Json = Object.fromEntries(Object.entries<Json>(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    for (const name of CHECKED_HEADERS) {
      const sent = answer.headers[name];
      const doc = headers[name] === undefined ? undefined : headers[name].$ref ? at(headers[name].$ref.slice(1)) : headers[name];
      if (sent !== undefined && doc === undefined) fail(`header ${name} sent (${sent}) but not documented for ${answer.status}`);
      if (sent === undefined && doc?.required === true) fail(`header ${name} documented as required for ${answer.status} but not sent`);
    }
    for (const [name, h] of Object.entries<Json>(response.headers ?? {})) {
      const sent = answer.headers[name.toLowerCase()];
      const hdrPointer = h.$ref ? `${h.$ref.slice(1)}/schema` : `${pointer}/headers/${esc(name)}/schema`;
      if (sent !== undefined) {
        const err = this.validate(hdrPointer, sent);
        if (err) fail(`header ${name}: ${err}`);
      }
    }
    const content: Json | undefined = response.content;
    const type = (answer.headers["content-type"] ?? "").split(";")[0]!.trim();
    if (!content) {
      if (answer.text.length > 0) fail(`a body was sent (${type}) but ${answer.status} documents none`);
      return;
    }
    if (!content[type]) return fail(`content-type ${type || "(none)"} is not documented for ${answer.status}; documented: ${Object.keys(content).join(", ")}`);
    if (answer.json === undefined) return fail(`body is not JSON: ${answer.text.slice(0, 100)}`);
    const err = this.validate(`${pointer}/content/${esc(type)}/schema`, answer.json);
    if (err) fail(`body does not match the ${answer.status} schema: ${err}; body ${answer.text.slice(0, 300)}`);
    const body = answer.json as Json;
    if (type === "application/problem+json" && body.requestId !== answer.headers["x-request-id"]) fail("problem requestId differs from X-Request-Id");
  }
}
