/**
 * The slice of RunPod's deprecated GraphQL API that REST v2 lacks: `myself` (balance, spend and
 * secrets), `gpuTypes` with `lowestPrice`, `dataCenters` and `cpuTypes`; the mutations
 * `secretCreate`, `secretDelete` and `updateRegistryAuth`.
 *
 * A small parser handles queries, variables, aliases and arguments (no fragments). Only the
 * requested fields are returned; unknown fields give an HTTP-200 `errors` response like the real
 * server's validation errors.
 *
 * @module
 */

import { compareCuda, effectiveLevel, levelRank } from "./catalog.ts";
import { iso } from "./http.ts";
import type { IdSource } from "./ids.ts";
import type { Availability, GpuTypeRecord, SimulatorState } from "./state.ts";

/** A parsed field selection. */
interface Field {
  alias?: string;
  name: string;
  args: Record<string, unknown>;
  selections?: Field[];
}

class GraphqlSyntaxError extends Error {}
class ValidationError extends Error {}
/** A resolver failure that nulls one field and adds an error with its path. */
class FieldError extends Error {}

type Token = { kind: "punct" | "name" | "number" | "string" | "spread"; value: string };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/[\s,\uFEFF]/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if ("{}()[]:!$=@|".includes(c)) {
      tokens.push({ kind: "punct", value: c });
      i++;
    } else if (src.startsWith("...", i)) {
      tokens.push({ kind: "spread", value: "..." });
      i += 3;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      tokens.push({ kind: "name", value: m[0] });
      i += m[0].length;
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i));
      if (!m) throw new GraphqlSyntaxError(`Syntax Error: Unexpected "${c}".`);
      tokens.push({ kind: "number", value: m[0] });
      i += m[0].length;
    } else if (c === '"') {
      if (src.startsWith('"""', i)) {
        const end = src.indexOf('"""', i + 3);
        if (end < 0) throw new GraphqlSyntaxError("Syntax Error: Unterminated string.");
        tokens.push({ kind: "string", value: src.slice(i + 3, end) });
        i = end + 3;
      } else {
        let j = i + 1;
        while (j < src.length && src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
        if (j >= src.length) throw new GraphqlSyntaxError("Syntax Error: Unterminated string.");
        tokens.push({ kind: "string", value: JSON.parse(src.slice(i, j + 1)) as string });
        i = j + 1;
      }
    } else {
      throw new GraphqlSyntaxError(`Syntax Error: Unexpected character "${c}".`);
    }
  }
  return tokens;
}

class Parser {
  #t: Token[];
  #i = 0;
  #vars: Record<string, unknown>;
  constructor(src: string, vars: Record<string, unknown>) {
    this.#t = tokenize(src);
    this.#vars = { ...vars };
  }
  #peek(): Token | undefined {
    return this.#t[this.#i];
  }
  #next(): Token {
    const t = this.#t[this.#i++];
    if (!t) throw new GraphqlSyntaxError("Syntax Error: Unexpected <EOF>.");
    return t;
  }
  #expect(value: string): void {
    const t = this.#next();
    if (t.value !== value || t.kind === "string") {
      throw new GraphqlSyntaxError(`Syntax Error: Expected "${value}", found "${t.value}".`);
    }
  }
  #isPunct(value: string): boolean {
    const t = this.#peek();
    return t?.kind === "punct" && t.value === value;
  }

  /** Parses the first operation; returns its kind and top-level selections. */
  operation(): { kind: "query" | "mutation"; selections: Field[] } {
    let kind: "query" | "mutation" = "query";
    const first = this.#peek();
    if (first?.kind === "name") {
      if (first.value === "fragment") {
        throw new GraphqlSyntaxError("Fragments are not supported by the RunPod simulator.");
      }
      if (first.value !== "query" && first.value !== "mutation") {
        throw new GraphqlSyntaxError(`Syntax Error: Unexpected Name "${first.value}".`);
      }
      kind = first.value;
      this.#next();
      if (this.#peek()?.kind === "name") this.#next();
      if (this.#isPunct("(")) this.#varDefs();
    }
    return { kind, selections: this.#selectionSet() };
  }

  #varDefs(): void {
    this.#expect("(");
    while (!this.#isPunct(")")) {
      this.#expect("$");
      const name = this.#next().value;
      this.#expect(":");
      this.#type();
      if (this.#isPunct("=")) {
        this.#next();
        const def = this.#value();
        if (this.#vars[name] === undefined) this.#vars[name] = def;
      }
    }
    this.#expect(")");
  }

  #type(): void {
    if (this.#isPunct("[")) {
      this.#next();
      this.#type();
      this.#expect("]");
    } else {
      this.#next();
    }
    if (this.#isPunct("!")) this.#next();
  }

  #selectionSet(): Field[] {
    this.#expect("{");
    const fields: Field[] = [];
    while (!this.#isPunct("}")) {
      if (this.#peek()?.kind === "spread") {
        throw new GraphqlSyntaxError("Fragments are not supported by the RunPod simulator.");
      }
      fields.push(this.#field());
    }
    this.#expect("}");
    return fields;
  }

  #field(): Field {
    let name = this.#next();
    if (name.kind !== "name") {
      throw new GraphqlSyntaxError(`Syntax Error: Unexpected "${name.value}".`);
    }
    const field: Field = { name: name.value, args: {} };
    if (this.#isPunct(":")) {
      this.#next();
      name = this.#next();
      field.alias = field.name;
      field.name = name.value;
    }
    if (this.#isPunct("(")) {
      this.#next();
      while (!this.#isPunct(")")) {
        const arg = this.#next().value;
        this.#expect(":");
        field.args[arg] = this.#value();
      }
      this.#expect(")");
    }
    if (this.#isPunct("{")) field.selections = this.#selectionSet();
    return field;
  }

  #value(): unknown {
    const t = this.#next();
    if (t.kind === "punct" && t.value === "$") return this.#vars[this.#next().value];
    if (t.kind === "number") return Number(t.value);
    if (t.kind === "string") return t.value;
    if (t.kind === "name") {
      if (t.value === "true") return true;
      if (t.value === "false") return false;
      if (t.value === "null") return null;
      return t.value;
    }
    if (t.value === "[") {
      const items: unknown[] = [];
      while (!this.#isPunct("]")) items.push(this.#value());
      this.#next();
      return items;
    }
    if (t.value === "{") {
      const obj: Record<string, unknown> = {};
      while (!this.#isPunct("}")) {
        const key = this.#next().value;
        this.#expect(":");
        obj[key] = this.#value();
      }
      this.#next();
      return obj;
    }
    throw new GraphqlSyntaxError(`Syntax Error: Unexpected "${t.value}".`);
  }
}

/** A typed object whose fields are values or resolvers taking the field's arguments. */
interface Node {
  __typename: string;
  [field: string]: unknown;
}

interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions: { code: string };
}

function project(
  value: unknown,
  selections: Field[] | undefined,
  path: (string | number)[],
  errors: GqlError[],
): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) {
    return value.map((v, i) => project(v, selections, [...path, i], errors));
  }
  if (typeof value !== "object" || !selections) return value;
  const node = value as Node;
  const out: Record<string, unknown> = {};
  for (const sel of selections) {
    const key = sel.alias ?? sel.name;
    if (sel.name === "__typename") {
      out[key] = node.__typename;
      continue;
    }
    if (!(sel.name in node)) {
      throw new ValidationError(`Cannot query field "${sel.name}" on type "${node.__typename}".`);
    }
    let v = node[sel.name];
    if (typeof v === "function") {
      try {
        v = (v as (args: Record<string, unknown>) => unknown)(sel.args);
      } catch (e) {
        if (!(e instanceof FieldError)) throw e;
        errors.push({ message: e.message, path: [...path, key], extensions: { code: "RUNPOD" } });
        out[key] = null;
        continue;
      }
    }
    out[key] = project(v, sel.selections, [...path, key], errors);
  }
  return out;
}

const STOCK_STATUS: Record<Availability, string | null> = {
  NONE: null,
  LOW: "Low",
  MEDIUM: "Medium",
  HIGH: "High",
};

function lowestPrice(state: SimulatorState, gpu: GpuTypeRecord, input: unknown): Node {
  const inp = (input ?? {}) as Record<string, unknown>;
  if (typeof inp.gpuCount !== "number") {
    throw new FieldError("gpuCount is required in GpuLowestPriceInput");
  }
  const count = inp.gpuCount;
  const clouds: ("SECURE" | "COMMUNITY")[] = inp.secureCloud === true
    ? ["SECURE"]
    : inp.secureCloud === false
    ? ["COMMUNITY"]
    : ["COMMUNITY", "SECURE"];
  const cudaWanted = [
    ...(Array.isArray(inp.allowedCudaVersions) ? inp.allowedCudaVersions as string[] : []),
    ...(typeof inp.cudaVersion === "string" ? [inp.cudaVersion] : []),
  ];
  const compliance = Array.isArray(inp.compliance) ? inp.compliance as string[] : [];
  let best: { level: Availability; price: number; dc: string; cloud: string } | undefined;
  for (const cloud of clouds) {
    if (cloud === "SECURE" ? !gpu.secure : !gpu.community) continue;
    const price = cloud === "SECURE" ? gpu.price.secure : gpu.price.community;
    for (const dcId of Object.keys(gpu.stock)) {
      const dc = state.dataCenters.get(dcId);
      if (!dc) continue;
      if (typeof inp.dataCenterId === "string" && inp.dataCenterId !== dcId) continue;
      if (typeof inp.countryCode === "string" && inp.countryCode !== dc.countryCode) continue;
      if (!compliance.every((c) => dc.compliance.includes(c))) continue;
      if (cudaWanted.length > 0 && !cudaWanted.some((v) => compareCuda(v, dc.cudaVersion) <= 0)) {
        continue;
      }
      const level = effectiveLevel(gpu, dcId, { count, cloud, products: ["POD"] });
      if (level === "NONE") continue;
      if (
        !best || price < best.price ||
        (price === best.price && levelRank(level) > levelRank(best.level))
      ) {
        best = { level, price, dc: dcId, cloud };
      }
    }
  }
  const dc = best ? state.dataCenters.get(best.dc) : undefined;
  const maxFree = best
    ? best.level === "LOW" ? 2 : best.level === "MEDIUM" ? 4 : gpu.maxCount.secure
    : 0;
  const fallbackPrice = gpu.secure ? gpu.price.secure : gpu.price.community;
  return {
    __typename: "LowestPrice",
    gpuName: gpu.name,
    gpuTypeId: gpu.id,
    stockStatus: best ? STOCK_STATUS[best.level] : null,
    uninterruptablePrice: best ? best.price : fallbackPrice,
    minimumBidPrice: null,
    minMemory: 16 * count,
    minVcpu: 4 * count,
    availableGpuCounts: [1, 2, 4, 8].filter((n) => n <= maxFree),
    maxUnreservedGpuCount: maxFree,
    rentalPercentage: best
      ? (best.level === "HIGH" ? 0.42 : best.level === "MEDIUM" ? 0.71 : 0.93)
      : 1,
    rentedCount: best ? 40 : 0,
    totalCount: best ? 64 : 0,
    countryCode: dc?.countryCode ?? null,
    compliance: dc ? [...dc.compliance] : [],
    gpuTypeCudaVersions: gpu.minCudaVersion === null || !dc
      ? []
      : ["11.8", "12.4", "12.8", "12.9", "13.0"]
        .filter((v) => compareCuda(v, gpu.minCudaVersion!) >= 0)
        .map((v) => ({
          __typename: "GpuTypeCudaVersion",
          cudaVersion: v,
          availability: compareCuda(v, dc.cudaVersion) <= 0 ? STOCK_STATUS[best!.level] : null,
        })),
  };
}

function gpuTypeNode(state: SimulatorState, gpu: GpuTypeRecord): Node {
  const maxSecure = gpu.secure ? gpu.maxCount.secure : 0;
  const maxCommunity = gpu.community ? gpu.maxCount.community : 0;
  const hourly = gpu.secure ? gpu.price.secure : gpu.price.community;
  return {
    __typename: "GpuType",
    id: gpu.id,
    displayName: gpu.name,
    manufacturer: gpu.manufacturer === "UNKNOWN"
      ? "Unknown"
      : gpu.manufacturer === "AMD"
      ? "AMD"
      : "Nvidia",
    memoryInGb: gpu.memory,
    cudaCores: gpu.cudaCores,
    secureCloud: gpu.secure,
    communityCloud: gpu.community,
    securePrice: gpu.secure ? gpu.price.secure : null,
    communityPrice: gpu.community ? gpu.price.community : null,
    secureSpotPrice: null,
    communitySpotPrice: null,
    oneWeekPrice: hourly ? Math.round(hourly * 0.97 * 100) / 100 : null,
    oneMonthPrice: hourly ? Math.round(hourly * 0.93 * 100) / 100 : null,
    threeMonthPrice: hourly ? Math.round(hourly * 0.9 * 100) / 100 : null,
    sixMonthPrice: hourly ? Math.round(hourly * 0.87 * 100) / 100 : null,
    oneYearPrice: hourly ? Math.round(hourly * 0.83 * 100) / 100 : null,
    clusterPrice: gpu.pool && ["ADA_80_PRO", "HOPPER_141", "BLACKWELL_180"].includes(gpu.pool)
      ? gpu.price.secure
      : null,
    maxGpuCount: Math.max(maxSecure, maxCommunity),
    maxGpuCountSecureCloud: maxSecure,
    maxGpuCountCommunityCloud: maxCommunity,
    minPodGpuCount: 1,
    nodeGroupGpuSizes: [],
    lowestPrice: (args: Record<string, unknown>) => lowestPrice(state, gpu, args.input),
  };
}

/** Inputs the GraphQL handler needs besides the state. */
export interface GraphqlContext {
  state: SimulatorState;
  /** False when the request carried no credential (then `myself` is null). */
  authenticated: boolean;
  /** Current hourly spend in USD. */
  spendPerHour: number;
  /** Id source for created secrets. */
  ids: IdSource;
  /** Simulator clock ms. */
  now: number;
}

function userNode(ctx: GraphqlContext): Node {
  const { state } = ctx;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    __typename: "User",
    id: state.user.id,
    email: state.user.email,
    clientBalance: round(state.balance),
    currentSpendPerHr: Math.round(ctx.spendPerHour * 1000) / 1000,
    spendLimit: state.user.spendLimit,
    notifyLowBalance: state.user.notifyLowBalance,
    notifyPodsStale: state.user.notifyPodsStale,
    notifyPodsGeneral: state.user.notifyPodsGeneral,
    underBalance: state.balance < state.user.minBalance,
    minBalance: state.user.minBalance,
    clientLifetimeSpend: round(state.user.lifetimeSpend),
    creditAlertThreshold: state.user.creditAlertThreshold,
    pubKey: state.sshKeys.join("\n"),
    // Values are write-only: the node has no `value` field, so asking for one is a validation error.
    secrets: [...state.secrets.values()].map((s) => ({
      __typename: "Secret",
      id: s.id,
      name: s.name,
      description: s.description,
      createdAt: iso(s.createdAt),
    })),
    spendDetails: {
      __typename: "SpendDetails",
      localStoragePerHour: 0,
      networkStoragePerHour: 0,
      gpuComputePerHour: Math.round(ctx.spendPerHour * 1000) / 1000,
    },
    pods: [...state.pods.values()].map((p) => ({
      __typename: "Pod",
      id: p.id,
      name: p.name,
      desiredStatus: p.status === "EXITED"
        ? "EXITED"
        : p.status === "TERMINATED"
        ? "TERMINATED"
        : "RUNNING",
      imageName: p.image,
      costPerHr: p.status === "RUNNING" ? p.costPerHour : 0,
      gpuCount: p.gpu?.count ?? 0,
      vcpuCount: p.cpu?.vcpuCount ?? 0,
      containerDiskInGb: p.disk,
      podType: "RESERVED",
    })),
    networkVolumes: [...state.networkVolumes.values()].map((v) => ({
      __typename: "NetworkVolume",
      id: v.id,
      name: v.name,
      size: v.size,
      dataCenterId: v.dataCenter,
    })),
    endpoints: [...state.endpoints.values()].map((e) => ({
      __typename: "Endpoint",
      id: e.id,
      name: e.name,
      workersMin: e.workers.min,
      workersMax: e.workers.max,
    })),
  };
}

function queryRoot(ctx: GraphqlContext): Node {
  const { state } = ctx;
  return {
    __typename: "Query",
    myself: () => ctx.authenticated ? userNode(ctx) : null,
    gpuTypes: (args: Record<string, unknown>) => {
      const input = (args.input ?? {}) as { id?: string; ids?: string[] };
      return [...state.gpuTypes.values()]
        .filter((g) => input.id === undefined || g.id === input.id)
        .filter((g) => !Array.isArray(input.ids) || input.ids.includes(g.id))
        .map((g) => gpuTypeNode(state, g));
    },
    dataCenters: () =>
      [...state.dataCenters.values()].map((dc) => ({
        __typename: "DataCenter",
        id: dc.id,
        name: dc.name,
        location: dc.location,
        listed: true,
        storageSupport: dc.networkVolumeTypes.length > 0,
        compliance: [...dc.compliance],
        globalNetwork: dc.globalNetwork,
        gpuAvailability: [...state.gpuTypes.values()]
          .filter((g) => g.stock[dc.id] !== undefined)
          .map((g) => ({
            __typename: "GpuAvailability",
            gpuTypeId: g.id,
            displayName: g.name,
            stockStatus: STOCK_STATUS[g.stock[dc.id]!],
            available: g.stock[dc.id] !== "NONE",
          })),
      })),
    cpuTypes: () =>
      [...state.cpuTypes.values()].map((c) => ({
        __typename: "CpuType",
        id: c.id,
        displayName: `${c.name} (${c.group})`,
        manufacturer: c.group === "Gen 5" ? "AMD" : "Intel",
        cores: c.vcpu.max / 2,
        threadsPerCore: 2,
        groupId: c.id,
      })),
    countryCodes: () => [...new Set([...state.dataCenters.values()].map((d) => d.countryCode))],
  };
}

const SECRET_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

function inputOf(args: Record<string, unknown>): Record<string, unknown> {
  const input = args.input;
  return input && typeof input === "object" ? input as Record<string, unknown> : {};
}

function nonEmpty(input: Record<string, unknown>, key: string, type: string): string {
  const value = input[key];
  if (typeof value !== "string" || value === "") {
    throw new FieldError(`${type}.${key} is required and must be a non-empty string`);
  }
  return value;
}

function secretCreate(ctx: GraphqlContext, args: Record<string, unknown>): Node {
  const input = inputOf(args);
  const name = nonEmpty(input, "name", "SecretCreateInput");
  const value = nonEmpty(input, "value", "SecretCreateInput");
  if (!SECRET_NAME.test(name)) {
    throw new FieldError("Secret names are 1-128 letters, digits, '_', '-' or '.'");
  }
  if ([...ctx.state.secrets.values()].some((s) => s.name === name)) {
    throw new FieldError(`A secret named ${name} already exists`);
  }
  const description = typeof input.description === "string" ? input.description : null;
  const id = ctx.ids.cuid();
  ctx.state.secrets.set(id, { id, name, value, description, createdAt: ctx.now });
  return { __typename: "Secret", id, name, description, createdAt: iso(ctx.now) };
}

function secretDelete(ctx: GraphqlContext, args: Record<string, unknown>): null {
  const id = typeof args.id === "string" ? args.id : "";
  if (!ctx.state.secrets.delete(id)) throw new FieldError(`Secret ${id} not found`);
  return null;
}

function updateRegistryAuth(ctx: GraphqlContext, args: Record<string, unknown>): Node {
  const input = inputOf(args);
  const id = nonEmpty(input, "id", "UpdateRegistryAuthInput");
  const username = nonEmpty(input, "username", "UpdateRegistryAuthInput");
  const password = nonEmpty(input, "password", "UpdateRegistryAuthInput");
  const registry = ctx.state.registries.get(id);
  if (!registry) throw new FieldError(`Registry auth ${id} not found`);
  registry.username = username;
  registry.password = password;
  return { __typename: "RegistryAuth", id: registry.id, name: registry.name };
}

function mutationRoot(ctx: GraphqlContext): Node {
  const spot = () => {
    throw new FieldError("Spot pods are no longer offered.");
  };
  return {
    __typename: "Mutation",
    podRentInterruptable: spot,
    podBidResume: spot,
    secretCreate: (args: Record<string, unknown>) => secretCreate(ctx, args),
    secretDelete: (args: Record<string, unknown>) => secretDelete(ctx, args),
    updateRegistryAuth: (args: Record<string, unknown>) => updateRegistryAuth(ctx, args),
  };
}

/** Runs one GraphQL request body; returns the HTTP status and JSON body to send. */
export function executeGraphql(
  ctx: GraphqlContext,
  body: unknown,
): { status: number; body: unknown } {
  const req = (body ?? {}) as { query?: unknown; variables?: unknown };
  if (typeof req.query !== "string") {
    return {
      status: 400,
      body: {
        errors: [{ message: "Must provide query string.", extensions: { code: "BAD_REQUEST" } }],
      },
    };
  }
  const vars = (req.variables && typeof req.variables === "object" ? req.variables : {}) as Record<
    string,
    unknown
  >;
  let op: { kind: "query" | "mutation"; selections: Field[] };
  try {
    op = new Parser(req.query, vars).operation();
  } catch (e) {
    if (!(e instanceof GraphqlSyntaxError)) throw e;
    return {
      status: 400,
      body: { errors: [{ message: e.message, extensions: { code: "GRAPHQL_PARSE_FAILED" } }] },
    };
  }
  const errors: GqlError[] = [];
  try {
    const root = op.kind === "query" ? queryRoot(ctx) : mutationRoot(ctx);
    const data = project(root, op.selections, [], errors) as Record<string, unknown>;
    return { status: 200, body: errors.length > 0 ? { errors, data } : { data } };
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return {
      status: 200,
      body: { errors: [{ message: e.message, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }] },
    };
  }
}
