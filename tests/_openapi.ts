/**
 * Contract checks against RunPod's REST v2 OpenAPI 3.1 document.
 *
 * Contract tests use this to prove that every request body our client sends and every response
 * our simulator returns has the shape RunPod documents. Schemas are compiled by Ajv (JSON Schema
 * 2020-12, which OpenAPI 3.1 uses) lazily, once per operation and status.
 *
 * The document lives outside the repository (`../shared/runpod/openapi-v2.json`, overridable with
 * `RUNPOD_OPENAPI_PATH`). When it is missing, {@linkcode requireContract} fails in CI and warns
 * loudly elsewhere, so a missing fixture never turns contract tests into silent passes in CI.
 *
 * @module
 */

import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import type { FormatsPlugin } from "ajv-formats";

/** One way a request or response breaks the contract. */
export interface ContractIssue {
  /** What was checked, e.g. `POST /v2/pods request body` or `GET /v2/pods/{id} response 200`. */
  where: string;
  /** What is wrong, e.g. `/gpu must have required property 'count'`. */
  message: string;
}

/** A loaded OpenAPI document that can check requests and responses. */
export interface OpenApiContract {
  /**
   * Finds the operation for a concrete path like `/v2/pods/abc123/action` (path templates matched
   * segment-wise; a literal segment beats a `{param}`, e.g. `/v2/registries/delegations` vs
   * `/v2/registries/{id}`). A query string is ignored.
   */
  findOperation(
    method: string,
    path: string,
  ): { template: string; operationId: string } | undefined;
  /**
   * Validates a JSON request body against the operation's requestBody schema. Returns [] when
   * valid. Unknown operation → one issue saying so. Pass `undefined` for "no body".
   */
  checkRequest(method: string, path: string, body: unknown): ContractIssue[];
  /**
   * Validates a response: status must be declared for the operation (or "default"/"4XX"
   * ranges); body validated against that status's application/json (or
   * application/problem+json) schema; 204 must have no body.
   *
   * `body` is the parsed JSON, or `undefined` (or `""`) when there was none. When `contentType`
   * is given, it must be one the response declares. A 2xx status must be declared explicitly
   * (or by a `2XX` range): RunPod's `default` response describes errors, and letting it cover
   * an undeclared success status (200 where RunPod sends 201) would hide a real mismatch.
   */
  checkResponse(
    method: string,
    path: string,
    status: number,
    body: unknown,
    contentType?: string,
  ): ContractIssue[];
  /** All operations (method + template + operationId), for coverage reports. */
  operations(): { method: string; template: string; operationId: string }[];
}

/** Options for {@linkcode requireContract}. */
export interface RequireContractOptions {
  /** Where the document is; default as for {@linkcode loadOpenApiContract}. */
  path?: string | URL;
}

/** The environment variable that overrides the document's location. */
export const OPENAPI_PATH_ENV = "RUNPOD_OPENAPI_PATH";

const DEFAULT_DOCUMENT_URL = new URL("../../shared/runpod/openapi-v2.json", import.meta.url);

// Ajv needs an absolute base URI to resolve the document's "#/components/..." references.
const DOCUMENT_ID = "https://runpod-mcp.invalid/openapi-v2.json";

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

// ajv-formats is CommonJS: at runtime the default import is the plugin, but its typings describe
// the default import as the module namespace.
const addFormats = ((formatsModule as unknown as { default?: FormatsPlugin }).default ??
  formatsModule) as unknown as FormatsPlugin;

type Json = Record<string, unknown>;

interface Operation {
  method: string;
  template: string;
  operationId: string;
  segments: string[];
  pointer: string;
  node: Json;
}

/**
 * Returns where the document is looked for: `path` if given, else `$RUNPOD_OPENAPI_PATH`, else
 * `../shared/runpod/openapi-v2.json` beside the repository.
 */
export function openApiDocumentLocation(path?: string | URL): string | URL {
  if (path !== undefined) return path;
  return readEnv(OPENAPI_PATH_ENV) || DEFAULT_DOCUMENT_URL;
}

/**
 * Loads the OpenAPI document. Returns undefined if the file is absent; throws if it exists but
 * cannot be read or parsed.
 *
 * @example
 * ```ts
 * const contract = await loadOpenApiContract();
 * contract?.checkRequest("POST", "/v2/pods", { name: "x" });
 * ```
 */
export async function loadOpenApiContract(
  path?: string | URL,
): Promise<OpenApiContract | undefined> {
  const location = openApiDocumentLocation(path);
  let text: string;
  try {
    text = await Deno.readTextFile(location);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read OpenAPI document ${location}: ${errorMessage(error)}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot parse OpenAPI document ${location}: ${errorMessage(error)}`);
  }
  if (!isObject(document) || !isObject(document.paths)) {
    throw new Error(`Cannot use OpenAPI document ${location}: it has no paths object`);
  }
  return new Contract(document);
}

const loaded = new Map<string, Promise<OpenApiContract | undefined>>();

/**
 * Loads the contract for a test, once per location. If the document is absent: with `CI` set,
 * throws; otherwise prints a loud multi-line warning and returns undefined, and the caller skips.
 *
 * @example
 * ```ts
 * Deno.test("createPod() sends a body RunPod accepts", async (t) => {
 *   const contract = await requireContract(t);
 *   if (!contract) return;
 *   // ...
 * });
 * ```
 */
export async function requireContract(
  t?: Deno.TestContext,
  options: RequireContractOptions = {},
): Promise<OpenApiContract | undefined> {
  const location = openApiDocumentLocation(options.path);
  const key = String(location);
  let pending = loaded.get(key);
  if (!pending) {
    pending = loadOpenApiContract(location);
    loaded.set(key, pending);
  }
  const contract = await pending;
  if (contract) return contract;
  if (readEnv("CI")) {
    throw new Error(
      `Cannot run contract test${t ? ` "${t.name}"` : ""}: the OpenAPI document ${key} is ` +
        `missing (set ${OPENAPI_PATH_ENV} or restore ../shared/runpod/openapi-v2.json)`,
    );
  }
  console.error(missingDocumentWarning(key, t?.name));
  return undefined;
}

/** The warning printed when the document is absent outside CI. */
export function missingDocumentWarning(location: string, testName?: string): string {
  const bar = "!".repeat(78);
  return [
    bar,
    `!! OpenAPI contract checks SKIPPED${testName ? ` in "${testName}"` : ""}`,
    `!! The RunPod OpenAPI document was not found at:`,
    `!!   ${location}`,
    `!! Set ${OPENAPI_PATH_ENV} to its path. In CI (CI set) this is a failure.`,
    bar,
  ].join("\n");
}

class Contract implements OpenApiContract {
  readonly #document: Json;
  readonly #operations: Operation[];
  readonly #ajv: Ajv2020;
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(document: Json) {
    this.#document = document;
    this.#operations = collectOperations(document);
    // strict: false because the document is third-party and uses OpenAPI-only keywords
    // (discriminator, example, x-enum-varnames) that are annotations, not constraints. The
    // oneOf next to each discriminator still enforces the union, so nothing is lost.
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.#ajv);
    // RunPod's own Endpoint examples put URI templates such as ".../status/{job_id}" in
    // `format: uri` fields (requestUrls); the fast check accepts them, the full RFC 3986 one not.
    this.#ajv.addFormat("uri", addFormats.get("uri", "fast"));
    const copy = structuredClone(document);
    rewriteDocument(copy);
    this.#ajv.addSchema({ ...copy, $id: DOCUMENT_ID });
  }

  findOperation(
    method: string,
    path: string,
  ): { template: string; operationId: string } | undefined {
    const operation = this.#find(method, path);
    return operation && { template: operation.template, operationId: operation.operationId };
  }

  operations(): { method: string; template: string; operationId: string }[] {
    return this.#operations.map(({ method, template, operationId }) => ({
      method,
      template,
      operationId,
    }));
  }

  checkRequest(method: string, path: string, body: unknown): ContractIssue[] {
    const operation = this.#find(method, path);
    if (!operation) return [this.#unknownOperation(method, path, "request body")];
    const where = `${operation.method} ${operation.template} request body`;
    const found = this.#resolve(operation.node.requestBody, `${operation.pointer}/requestBody`);
    if (!found) {
      return isAbsent(body) ? [] : [{ where, message: "the operation takes no request body" }];
    }
    const [requestBody, pointer] = found;
    if (isAbsent(body)) {
      return requestBody.required === true
        ? [{ where, message: "a request body is required" }]
        : [];
    }
    const media = pickMediaType(requestBody.content, "application/json");
    if (!media) return [{ where, message: "the operation declares no JSON request body" }];
    return this.#validate(where, `${pointer}/content/${escapePointer(media)}/schema`, body);
  }

  checkResponse(
    method: string,
    path: string,
    status: number,
    body: unknown,
    contentType?: string,
  ): ContractIssue[] {
    const operation = this.#find(method, path);
    if (!operation) return [this.#unknownOperation(method, path, `response ${status}`)];
    const where = `${operation.method} ${operation.template} response ${status}`;
    const responses = operation.node.responses;
    if (!isObject(responses)) return [{ where, message: "the operation declares no responses" }];
    const key = responseKey(responses, status);
    if (key === undefined) {
      const declared = Object.keys(responses).join(", ");
      return [{ where, message: `status ${status} is not declared (declared: ${declared})` }];
    }
    const found = this.#resolve(
      responses[key],
      `${operation.pointer}/responses/${escapePointer(key)}`,
    );
    if (!found) return [{ where, message: `response ${key} cannot be resolved` }];
    const [response, pointer] = found;
    const content = isObject(response.content) ? response.content : {};
    const mediaTypes = Object.keys(content);
    if (mediaTypes.length === 0 || status === 204) {
      return isAbsent(body) ? [] : [{ where, message: "must have no body" }];
    }
    let media: string | undefined;
    if (contentType !== undefined) {
      const essence = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
      media = mediaTypes.find((m) => m.toLowerCase() === essence);
      if (!media) {
        return [{
          where,
          message: `content type ${contentType} is not declared (declared: ${
            mediaTypes.join(", ")
          })`,
        }];
      }
    } else {
      media = pickMediaType(content, "application/json", "application/problem+json");
    }
    // Only JSON bodies can be checked against a schema; SSE streams are checked elsewhere.
    if (!media || !isJsonMediaType(media)) return [];
    if (isAbsent(body)) return [{ where, message: `must have a ${media} body` }];
    const entry = content[media];
    if (!isObject(entry) || entry.schema === undefined) return [];
    return this.#validate(where, `${pointer}/content/${escapePointer(media)}/schema`, body);
  }

  #find(method: string, path: string): Operation | undefined {
    const wanted = method.toUpperCase();
    const segments = splitPath(path);
    let best: Operation | undefined;
    for (const operation of this.#operations) {
      if (operation.method !== wanted || !matches(operation.segments, segments)) continue;
      if (!best || moreSpecific(operation.segments, best.segments)) best = operation;
    }
    return best;
  }

  #unknownOperation(method: string, path: string, what: string): ContractIssue {
    const segments = splitPath(path);
    const methods = this.#operations
      .filter((operation) => matches(operation.segments, segments))
      .map((operation) => operation.method);
    const hint = methods.length > 0
      ? `the path exists only for ${[...new Set(methods)].join(", ")}`
      : "no path template matches";
    return {
      where: `${method.toUpperCase()} ${stripQuery(path)} ${what}`,
      message: `the document has no such operation: ${hint}`,
    };
  }

  /** Follows OpenAPI `$ref`s (to request bodies, responses) until a real object is reached. */
  #resolve(node: unknown, pointer: string): [Json, string] | undefined {
    for (let hops = 0; hops < 16 && isObject(node); hops++) {
      if (typeof node.$ref !== "string") return [node, pointer];
      if (!node.$ref.startsWith("#")) {
        throw new Error(`Cannot follow ${node.$ref}: only local references are supported`);
      }
      pointer = node.$ref.slice(1);
      node = getPointer(this.#document, pointer);
    }
    return undefined;
  }

  #validate(where: string, pointer: string, value: unknown): ContractIssue[] {
    let validate = this.#validators.get(pointer);
    if (!validate) {
      // Referencing the schema inside the registered document keeps its local $refs working.
      const ref = `${DOCUMENT_ID}#${pointer.split("/").map(encodeURIComponent).join("/")}`;
      try {
        validate = this.#ajv.compile({ $ref: ref });
      } catch (error) {
        throw new Error(`Cannot compile the schema for ${where}: ${errorMessage(error)}`);
      }
      this.#validators.set(pointer, validate);
    }
    if (validate(value)) return [];
    // Ajv reports a failed if/then twice: the inner error and a vaguer one for "if" itself.
    const errors = (validate.errors ?? []).filter((error) => error.keyword !== "if");
    const messages = new Set(
      (errors.length > 0 ? errors : validate.errors ?? []).map(describeError),
    );
    return [...messages].map((message) => ({ where, message }));
  }
}

function collectOperations(document: Json): Operation[] {
  const operations: Operation[] = [];
  const paths = isObject(document.paths) ? document.paths : {};
  for (const [template, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const method of HTTP_METHODS) {
      const node = item[method];
      if (!isObject(node)) continue;
      operations.push({
        method: method.toUpperCase(),
        template,
        operationId: typeof node.operationId === "string"
          ? node.operationId
          : `${method.toUpperCase()} ${template}`,
        segments: splitPath(template),
        pointer: `/paths/${escapePointer(template)}/${method}`,
        node,
      });
    }
  }
  return operations;
}

const SCHEMA_KEYWORDS = [
  "items",
  "contains",
  "not",
  "if",
  "then",
  "else",
  "additionalProperties",
  "unevaluatedProperties",
  "unevaluatedItems",
  "propertyNames",
  "contentSchema",
];
const SCHEMA_LIST_KEYWORDS = ["allOf", "anyOf", "oneOf", "prefixItems"];
const SCHEMA_MAP_KEYWORDS = ["properties", "patternProperties", "dependentSchemas", "$defs"];

/** Finds every schema in the OpenAPI document (not in examples) and rewrites it in place. */
function rewriteDocument(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(rewriteDocument);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "example" || key === "examples") continue;
    if (key === "schema") rewriteSchema(value);
    else if (key === "schemas" && isObject(value)) Object.values(value).forEach(rewriteSchema);
    else rewriteDocument(value);
  }
}

/**
 * Moves `if`/`then`/`else` into an `allOf` entry, which means the same in JSON Schema 2020-12.
 * Ajv 8.20 loses the evaluated-property annotations of the whole schema when an `if` beside
 * `unevaluatedProperties: false` fails and its `then` lists properties, so every property of a
 * valid body (e.g. RunPod's own CreateEndpointRequest example) is reported as unevaluated. Inside
 * an `allOf` entry the annotations are tracked correctly.
 */
function rewriteSchema(schema: unknown): void {
  if (!isObject(schema)) return;
  for (const key of SCHEMA_KEYWORDS) rewriteSchema(schema[key]);
  for (const key of SCHEMA_LIST_KEYWORDS) {
    const list = schema[key];
    if (Array.isArray(list)) list.forEach(rewriteSchema);
  }
  for (const key of SCHEMA_MAP_KEYWORDS) {
    const map = schema[key];
    if (isObject(map)) Object.values(map).forEach(rewriteSchema);
  }
  if (!("if" in schema)) return;
  const conditional: Json = {};
  for (const key of ["if", "then", "else"]) {
    if (key in schema) conditional[key] = schema[key];
    delete schema[key];
  }
  schema.allOf = [...(Array.isArray(schema.allOf) ? schema.allOf : []), conditional];
}

function responseKey(responses: Json, status: number): string | undefined {
  const exact = String(status);
  if (exact in responses) return exact;
  const range = `${Math.floor(status / 100)}XX`;
  const rangeKey = Object.keys(responses).find((key) => key.toUpperCase() === range);
  if (rangeKey) return rangeKey;
  if (status >= 200 && status < 300) return undefined;
  return "default" in responses ? "default" : undefined;
}

function pickMediaType(content: unknown, ...preferred: string[]): string | undefined {
  if (!isObject(content)) return undefined;
  const types = Object.keys(content);
  for (const wanted of preferred) {
    const hit = types.find((type) => type.toLowerCase() === wanted);
    if (hit) return hit;
  }
  return types.find(isJsonMediaType);
}

function isJsonMediaType(type: string): boolean {
  const essence = type.toLowerCase();
  return essence === "application/json" || essence.endsWith("+json");
}

function describeError(error: ErrorObject): string {
  const at = error.instancePath || "/";
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
      return `${at} must NOT have additional property '${String(params.additionalProperty)}'`;
    case "unevaluatedProperties":
      // RunPod's request schemas close objects with unevaluatedProperties (because of allOf);
      // to the caller this is the same mistake as an additional property.
      return `${at} must NOT have additional property '${String(params.unevaluatedProperty)}'`;
    case "enum":
      return `${at} ${error.message ?? "must be one of the allowed values"}: ${
        JSON.stringify(params.allowedValues)
      }`;
    case "const":
      return `${at} must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return `${at} ${error.message ?? `fails ${error.keyword}`}`;
  }
}

function splitPath(path: string): string[] {
  return stripQuery(path).split("/").filter((segment) => segment !== "");
}

function stripQuery(path: string): string {
  const cut = path.search(/[?#]/);
  return cut === -1 ? path : path.slice(0, cut);
}

function isParam(segment: string): boolean {
  return segment.startsWith("{") && segment.endsWith("}");
}

function matches(template: string[], concrete: string[]): boolean {
  return template.length === concrete.length &&
    template.every((segment, i) => isParam(segment) || segment === concrete[i]);
}

/** True when `a` has a literal where `b` has a parameter at the first place they differ. */
function moreSpecific(a: string[], b: string[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const left = isParam(a[i] ?? "");
    const right = isParam(b[i] ?? "");
    if (left !== right) return !left;
  }
  return false;
}

function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

function getPointer(document: unknown, pointer: string): unknown {
  let node = document;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

function isAbsent(body: unknown): boolean {
  return body === undefined || body === "";
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    // Without --allow-env, behave as if the variable were unset.
    return undefined;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
