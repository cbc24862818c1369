/**
 * Catalog seed data (GPU types, CPU flavors, data centers with late-2026 prices and stock) and
 * the `/v2/catalog/*` routes with RunPod's query validation.
 *
 * @module
 */

import type { Ctx, Route } from "./context.ts";
import { json, problem } from "./http.ts";
import type {
  Availability,
  CpuTypeRecord,
  DataCenterRecord,
  GpuTypeRecord,
  SimulatorState,
} from "./state.ts";

/** CUDA versions RunPod hosts offer, oldest first. */
export const CUDA_VERSIONS: readonly string[] = [
  "11.8",
  "12.0",
  "12.1",
  "12.2",
  "12.3",
  "12.4",
  "12.5",
  "12.6",
  "12.7",
  "12.8",
  "12.9",
  "13.0",
];

const LEVELS: readonly Availability[] = ["NONE", "LOW", "MEDIUM", "HIGH"];

/** Numeric comparison of "12.4"-style versions ("12" means "12.0"). */
export function compareCuda(a: string, b: string): number {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am !== bm ? am - bm : an - bn;
}

/** The higher of two availability levels. */
export function maxLevel(a: Availability, b: Availability): Availability {
  return LEVELS.indexOf(a) >= LEVELS.indexOf(b) ? a : b;
}

/** Rank of a level: NONE 0 … HIGH 3. */
export function levelRank(a: Availability): number {
  return LEVELS.indexOf(a);
}

type DcSeed = [
  id: string,
  name: string,
  region: DataCenterRecord["region"],
  country: string,
  location: string,
  globalNetwork: boolean,
  volumes: DataCenterRecord["networkVolumeTypes"],
  compliance: string[],
  cuda: string,
];

const DC_SEED: readonly DcSeed[] = [
  [
    "US-KS-2",
    "US Kansas 2",
    "NORTH_AMERICA",
    "US",
    "Kansas City, US",
    true,
    [
      "STANDARD",
      "HIGH_PERFORMANCE",
    ],
    ["SOC_2_TYPE_2", "ISO_IEC_27001"],
    "12.9",
  ],
  ["US-TX-3", "US Texas 3", "NORTH_AMERICA", "US", "Dallas, US", true, ["STANDARD"], [
    "SOC_2_TYPE_2",
    "ISO_IEC_27001",
    "HIPAA",
  ], "12.8"],
  ["US-CA-2", "US California 2", "NORTH_AMERICA", "US", "San Jose, US", false, ["STANDARD"], [
    "SOC_2_TYPE_2",
  ], "12.8"],
  ["US-GA-1", "US Georgia 1", "NORTH_AMERICA", "US", "Atlanta, US", false, [], [
    "SOC_2_TYPE_2",
  ], "12.6"],
  [
    "CA-MTL-1",
    "CA Montreal 1",
    "NORTH_AMERICA",
    "CA",
    "Montreal, CA",
    true,
    [
      "STANDARD",
      "HIGH_PERFORMANCE",
    ],
    ["ISO_IEC_27001", "SOC_2_TYPE_2", "RENEWABLE"],
    "12.9",
  ],
  ["EU-RO-1", "EU Romania 1", "EUROPE", "RO", "Bucharest, RO", true, ["STANDARD"], [
    "GDPR",
    "ISO_IEC_27001",
  ], "12.8"],
  [
    "EU-SE-1",
    "EU Sweden 1",
    "EUROPE",
    "SE",
    "Stockholm, SE",
    false,
    [
      "STANDARD",
      "HIGH_PERFORMANCE",
    ],
    ["GDPR", "ISO_IEC_27001", "RENEWABLE"],
    "12.9",
  ],
  ["EU-NL-1", "EU Netherlands 1", "EUROPE", "NL", "Amsterdam, NL", true, ["STANDARD"], [
    "GDPR",
    "ISO_IEC_27001",
    "SOC_2_TYPE_2",
  ], "13.0"],
  ["EU-CZ-1", "EU Czech Republic 1", "EUROPE", "CZ", "Prague, CZ", false, ["STANDARD"], [
    "GDPR",
  ], "12.4"],
  ["EUR-IS-1", "EU Iceland 1", "EUROPE", "IS", "Reykjavik, IS", false, [], [
    "GDPR",
    "RENEWABLE",
    "ISO_14001",
  ], "12.8"],
  ["AP-JP-1", "AP Japan 1", "ASIA", "JP", "Tokyo, JP", false, ["STANDARD"], [
    "ISO_IEC_27001",
  ], "12.8"],
  ["OC-AU-1", "OC Australia 1", "OCEANIA", "AU", "Sydney, AU", false, [], [
    "ISO_IEC_27001",
  ], "12.6"],
];

type GpuSeed = [
  id: string,
  name: string,
  pool: string | null,
  memory: number,
  cudaCores: number,
  secure: number | null,
  community: number | null,
  serverless: number | null,
  maxCount: [secure: number, community: number],
  minCuda: string | null,
  stock: string,
];

// Prices are USD per GPU-hour; null means the cloud does not offer the type.
// Stock is "DC:level" pairs with levels H, M, L or N (NONE).
const GPU_SEED: readonly GpuSeed[] = [
  [
    "NVIDIA GeForce RTX 4090",
    "RTX 4090",
    "ADA_24",
    24,
    16384,
    0.69,
    0.34,
    1.1,
    [8, 8],
    "11.8",
    "US-KS-2:H US-TX-3:M EU-RO-1:H EU-SE-1:M CA-MTL-1:L EU-NL-1:M AP-JP-1:L",
  ],
  [
    "NVIDIA GeForce RTX 5090",
    "RTX 5090",
    "ADA_32_PRO",
    32,
    21760,
    0.94,
    0.69,
    1.58,
    [8, 4],
    "12.8",
    "US-KS-2:M EU-RO-1:L EU-NL-1:M US-TX-3:N",
  ],
  [
    "NVIDIA GeForce RTX 3090",
    "RTX 3090",
    "AMPERE_24",
    24,
    10496,
    0.46,
    0.22,
    0.68,
    [8, 8],
    "11.8",
    "EU-CZ-1:H US-GA-1:M EU-RO-1:M",
  ],
  [
    "NVIDIA RTX A4000",
    "RTX A4000",
    "AMPERE_16",
    16,
    6144,
    0.25,
    0.17,
    0.58,
    [8, 8],
    "11.8",
    "US-KS-2:H CA-MTL-1:M EU-CZ-1:H US-GA-1:L",
  ],
  [
    "NVIDIA RTX A4500",
    "RTX A4500",
    "AMPERE_16",
    20,
    7168,
    0.25,
    0.19,
    0.58,
    [8, 4],
    "11.8",
    "EU-RO-1:M US-TX-3:L",
  ],
  [
    "NVIDIA RTX A5000",
    "RTX A5000",
    "AMPERE_24",
    24,
    8192,
    0.27,
    0.16,
    0.68,
    [8, 8],
    "11.8",
    "US-KS-2:M EU-SE-1:H EU-CZ-1:M OC-AU-1:L",
  ],
  [
    "NVIDIA RTX 2000 Ada Generation",
    "RTX 2000 Ada",
    "AMPERE_16",
    16,
    2816,
    0.24,
    0.13,
    0.58,
    [8, 8],
    "11.8",
    "US-KS-2:H EU-NL-1:M",
  ],
  [
    "NVIDIA RTX 4000 Ada Generation",
    "RTX 4000 Ada",
    "AMPERE_16",
    20,
    6144,
    0.26,
    0.2,
    0.58,
    [8, 8],
    "11.8",
    "US-TX-3:M EU-RO-1:M EUR-IS-1:L",
  ],
  [
    "NVIDIA L4",
    "L4",
    "AMPERE_24",
    24,
    7424,
    0.43,
    null,
    0.68,
    [8, 0],
    "11.8",
    "US-KS-2:M US-CA-2:H EU-NL-1:L",
  ],
  [
    "NVIDIA RTX A6000",
    "RTX A6000",
    "AMPERE_48",
    48,
    10752,
    0.49,
    0.33,
    1.22,
    [8, 8],
    "11.8",
    "US-KS-2:H CA-MTL-1:M EU-SE-1:M EUR-IS-1:M",
  ],
  [
    "NVIDIA A40",
    "A40",
    "AMPERE_48",
    48,
    10752,
    0.4,
    null,
    1.22,
    [10, 0],
    "11.8",
    "US-TX-3:M EU-SE-1:L",
  ],
  ["NVIDIA L40", "L40", "ADA_48_PRO", 48, 18176, 0.99, null, 1.9, [8, 0], "11.8", "US-CA-2:L"],
  [
    "NVIDIA L40S",
    "L40S",
    "ADA_48_PRO",
    48,
    18176,
    0.86,
    0.79,
    1.9,
    [8, 4],
    "11.8",
    "US-KS-2:H US-TX-3:M EU-RO-1:M CA-MTL-1:M",
  ],
  [
    "NVIDIA RTX 6000 Ada Generation",
    "RTX 6000 Ada",
    "ADA_48_PRO",
    48,
    18176,
    0.77,
    0.74,
    1.9,
    [8, 8],
    "11.8",
    "EU-RO-1:H US-KS-2:L EU-NL-1:M",
  ],
  [
    "NVIDIA RTX PRO 6000 Blackwell Server Edition",
    "RTX PRO 6000",
    "BLACKWELL_96",
    96,
    24064,
    1.84,
    1.69,
    3.35,
    [8, 4],
    "12.8",
    "US-KS-2:M EU-NL-1:L CA-MTL-1:L",
  ],
  [
    "NVIDIA A100 80GB PCIe",
    "A100 PCIe",
    "AMPERE_80",
    80,
    6912,
    1.64,
    1.19,
    2.72,
    [8, 8],
    "11.8",
    "US-KS-2:L EU-RO-1:M CA-MTL-1:L",
  ],
  [
    "NVIDIA A100-SXM4-80GB",
    "A100 SXM",
    "AMPERE_80",
    80,
    6912,
    1.74,
    1.39,
    2.72,
    [8, 8],
    "11.8",
    "US-TX-3:M EU-SE-1:L",
  ],
  [
    "NVIDIA H100 PCIe",
    "H100 PCIe",
    "ADA_80_PRO",
    80,
    14592,
    2.39,
    1.99,
    4.18,
    [8, 4],
    "11.8",
    "US-KS-2:M EU-RO-1:L",
  ],
  [
    "NVIDIA H100 80GB HBM3",
    "H100 SXM",
    "ADA_80_PRO",
    80,
    16896,
    2.69,
    2.39,
    4.18,
    [8, 8],
    "11.8",
    "US-KS-2:H US-TX-3:H CA-MTL-1:M EU-NL-1:M EU-SE-1:L AP-JP-1:L",
  ],
  [
    "NVIDIA H100 NVL",
    "H100 NVL",
    "ADA_80_PRO",
    94,
    16896,
    2.59,
    null,
    4.18,
    [8, 0],
    "11.8",
    "US-TX-3:L EU-RO-1:N",
  ],
  [
    "NVIDIA H200",
    "H200 SXM",
    "HOPPER_141",
    141,
    16896,
    3.59,
    null,
    5.58,
    [8, 0],
    "12.0",
    "US-KS-2:M CA-MTL-1:L EU-NL-1:L",
  ],
  [
    "NVIDIA B200",
    "B200",
    "BLACKWELL_180",
    180,
    18944,
    5.98,
    null,
    8.64,
    [8, 0],
    "12.8",
    "US-TX-3:L EU-NL-1:L",
  ],
  [
    "NVIDIA GeForce RTX 3080",
    "RTX 3080",
    null,
    10,
    8704,
    null,
    0.17,
    null,
    [0, 4],
    "11.8",
    "EU-CZ-1:M",
  ],
  [
    "Tesla V100-SXM2-16GB",
    "V100 SXM2",
    null,
    16,
    5120,
    0.39,
    0.19,
    null,
    [8, 4],
    "11.8",
    "US-GA-1:N EU-CZ-1:N",
  ],
];

const LEVEL_CODES: Record<string, Availability> = {
  H: "HIGH",
  M: "MEDIUM",
  L: "LOW",
  N: "NONE",
};

function parseStock(spec: string): Record<string, Availability> {
  const out: Record<string, Availability> = {};
  for (const pair of spec.split(" ").filter((p) => p !== "")) {
    const [dc, code] = pair.split(":");
    if (dc && code) out[dc] = LEVEL_CODES[code] ?? "NONE";
  }
  return out;
}

/** Fills the catalog maps of `state` with the seed data. */
export function seedCatalog(state: SimulatorState): void {
  for (
    const [id, name, region, countryCode, location, globalNetwork, vols, compliance, cuda]
      of DC_SEED
  ) {
    state.dataCenters.set(id, {
      id,
      name,
      region,
      countryCode,
      location,
      globalNetwork,
      networkVolumeTypes: [...vols],
      compliance: [...compliance],
      cudaVersion: cuda,
    });
  }
  for (const [id, name, pool, memory, cudaCores, sec, com, sls, max, minCuda, stock] of GPU_SEED) {
    const rec: GpuTypeRecord = {
      id,
      name,
      pool,
      manufacturer: "NVIDIA",
      memory,
      cudaCores,
      secure: sec !== null,
      community: com !== null,
      price: { secure: sec ?? 0, community: com ?? 0 },
      maxCount: { secure: max[0], community: max[1] },
      minCudaVersion: minCuda,
      stock: parseStock(stock),
    };
    if (sls !== null) rec.price.serverless = sls;
    state.gpuTypes.set(id, rec);
  }
  state.gpuTypes.set("AMD Instinct MI300X OAM", {
    id: "AMD Instinct MI300X OAM",
    name: "MI300X",
    pool: null,
    manufacturer: "AMD",
    memory: 192,
    cudaCores: 0,
    secure: true,
    community: false,
    price: { secure: 2.49, community: 0 },
    maxCount: { secure: 8, community: 0 },
    minCudaVersion: null,
    stock: { "US-TX-3": "MEDIUM" },
  });
  // Real GraphQL returns this placeholder row; REST never shows it.
  state.gpuTypes.set("unknown", {
    id: "unknown",
    name: "unknown",
    pool: null,
    manufacturer: "UNKNOWN",
    memory: 0,
    cudaCores: 0,
    secure: false,
    community: false,
    price: { secure: 0, community: 0 },
    maxCount: { secure: 0, community: 0 },
    minCudaVersion: null,
    stock: {},
    hiddenFromRest: true,
  });
  const cpuSeed: [string, string, string, number, number, number, number, string][] = [
    ["cpu3c", "Compute-Optimized", "Gen 3", 32, 2, 0.03, 0.04, "US-KS-2:H US-TX-3:M EU-RO-1:M"],
    ["cpu3g", "General Purpose", "Gen 3", 32, 4, 0.04, 0.05, "US-KS-2:H US-TX-3:M EU-RO-1:M"],
    ["cpu3m", "Memory-Optimized", "Gen 3", 16, 8, 0.06, 0.07, "US-KS-2:M EU-RO-1:L"],
    ["cpu5c", "Compute-Optimized", "Gen 5", 32, 2, 0.05, 0.06, "US-KS-2:M EU-SE-1:H EU-NL-1:M"],
    ["cpu5g", "General Purpose", "Gen 5", 32, 4, 0.06, 0.07, "US-KS-2:M EU-SE-1:H EU-NL-1:M"],
    ["cpu5m", "Memory-Optimized", "Gen 5", 16, 8, 0.08, 0.09, "EU-SE-1:M EU-NL-1:L"],
  ];
  for (const [id, name, group, max, ram, sec, sls, stock] of cpuSeed) {
    state.cpuTypes.set(id, {
      id,
      name,
      group,
      vcpu: { min: 2, max },
      ramGbPerVcpu: ram,
      price: { securePerVcpu: sec, serverlessPerVcpu: sls },
      stock: parseStock(stock),
    });
  }
}

/** Availability context for GPU lookups (pods, catalog, GraphQL). */
export interface GpuDemand {
  count: number;
  cloud: "SECURE" | "COMMUNITY";
  products: readonly ("POD" | "CLUSTER" | "SERVERLESS")[];
}

const CLUSTER_POOLS = new Set(["ADA_80_PRO", "HOPPER_141", "BLACKWELL_180"]);

/**
 * Effective stock of `gpu` in one data center for a demand: the seeded level, cut to NONE when
 * the cloud does not offer the type, the count exceeds the ceiling, or the level is too thin for
 * the count (LOW serves up to 2 GPUs, MEDIUM up to 4).
 */
export function effectiveLevel(gpu: GpuTypeRecord, dcId: string, demand: GpuDemand): Availability {
  const base = gpu.stock[dcId] ?? "NONE";
  if (base === "NONE") return "NONE";
  const offered = demand.cloud === "SECURE" ? gpu.secure : gpu.community;
  const max = demand.cloud === "SECURE" ? gpu.maxCount.secure : gpu.maxCount.community;
  if (!offered || demand.count > max) return "NONE";
  if (base === "LOW" && demand.count > 2) return "NONE";
  if (base === "MEDIUM" && demand.count > 4) return "NONE";
  const productOk = demand.products.some((p) =>
    p === "POD" ||
    (p === "SERVERLESS" && gpu.price.serverless !== undefined) ||
    (p === "CLUSTER" && gpu.pool !== null && CLUSTER_POOLS.has(gpu.pool))
  );
  return productOk ? base : "NONE";
}

/** Whether a data center can run a container needing CUDA `version` on `gpu`. */
export function dcSupportsCuda(gpu: GpuTypeRecord, dc: DataCenterRecord, version: string): boolean {
  if (gpu.minCudaVersion === null) return false;
  return compareCuda(version, gpu.minCudaVersion) >= 0 && compareCuda(version, dc.cudaVersion) <= 0;
}

interface GpuQuery {
  include: boolean;
  demand: GpuDemand;
  countryCodes?: string[];
  cudaVersions?: string[];
  minCudaVersion?: string;
}

function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function parseGpuQuery(q: Record<string, string>): GpuQuery | Response {
  const errors: string[] = [];
  const include = list(q.include);
  if (include) {
    if (include.length > 1) errors.push(`include: maxItems: got ${include.length}, want 1`);
    for (const v of include) {
      if (v !== "AVAILABILITY") errors.push(`include: value must be one of 'AVAILABILITY'`);
    }
  }
  const products = list(q.product);
  for (const p of products ?? []) {
    if (!["POD", "CLUSTER", "SERVERLESS"].includes(p)) {
      errors.push(`product: value must be one of 'POD', 'CLUSTER', 'SERVERLESS'`);
    }
  }
  if (q.count !== undefined && !(/^\d+$/.test(q.count) && Number(q.count) >= 1)) {
    errors.push(`count: minimum: got ${q.count}, want 1`);
  }
  if (q.cloud !== undefined && !["SECURE", "COMMUNITY"].includes(q.cloud)) {
    errors.push(`cloud: value must be one of 'SECURE', 'COMMUNITY'`);
  }
  const countries = list(q.countryCodes);
  for (const c of countries ?? []) {
    if (!/^[A-Z]{2}$/.test(c)) {
      errors.push(`countryCodes: '${c}' does not match pattern '^[A-Z]{2}$'`);
    }
  }
  const cudas = list(q.cudaVersions);
  for (const c of cudas ?? []) {
    if (!/^\d+\.\d+$/.test(c)) {
      errors.push(`cudaVersions: '${c}' does not match pattern '^\\d+\\.\\d+$'`);
    }
  }
  if (q.minCudaVersion !== undefined && !/^\d+(\.\d+)?$/.test(q.minCudaVersion)) {
    errors.push(`minCudaVersion: '${q.minCudaVersion}' does not match pattern '^\\d+(\\.\\d+)?$'`);
  }
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  const hasInclude = include !== undefined && include.length > 0;
  if (hasInclude && !products?.length) {
    return problem(400, "product is required when include=AVAILABILITY is set");
  }
  if (!hasInclude) {
    for (
      const name of ["product", "count", "cloud", "countryCodes", "cudaVersions", "minCudaVersion"]
    ) {
      if (q[name] !== undefined) {
        return problem(400, `${name} is valid only with include=AVAILABILITY`);
      }
    }
  }
  if (cudas?.length && q.minCudaVersion !== undefined) {
    return problem(400, "cudaVersions and minCudaVersion are mutually exclusive");
  }
  const out: GpuQuery = {
    include: hasInclude,
    demand: {
      count: q.count ? Number(q.count) : 1,
      cloud: q.cloud === "COMMUNITY" ? "COMMUNITY" : "SECURE",
      products: (products ?? ["POD"]) as GpuDemand["products"],
    },
  };
  if (countries?.length) out.countryCodes = countries;
  if (cudas?.length) out.cudaVersions = cudas;
  if (q.minCudaVersion !== undefined) out.minCudaVersion = q.minCudaVersion;
  return out;
}

function cudaWanted(gpu: GpuTypeRecord, q: GpuQuery): string[] {
  if (gpu.minCudaVersion === null) return [];
  let versions = CUDA_VERSIONS.filter((v) => compareCuda(v, gpu.minCudaVersion!) >= 0);
  if (q.cudaVersions) versions = versions.filter((v) => q.cudaVersions!.includes(v));
  if (q.minCudaVersion) versions = versions.filter((v) => compareCuda(v, q.minCudaVersion!) >= 0);
  return versions;
}

/** The REST `GpuType` wire object, with availability when the query asks for it. */
export function gpuTypeView(
  state: SimulatorState,
  gpu: GpuTypeRecord,
  q: GpuQuery | { include: false },
): { view: Record<string, unknown>; inCountries: boolean } {
  const price: Record<string, number> = {
    secure: gpu.price.secure,
    community: gpu.price.community,
  };
  if (gpu.price.serverless !== undefined) price.serverless = gpu.price.serverless;
  const view: Record<string, unknown> = {
    id: gpu.id,
    name: gpu.name,
    pool: gpu.pool,
    manufacturer: gpu.manufacturer,
    memory: gpu.memory,
    secure: gpu.secure,
    community: gpu.community,
    price,
    maxCount: { ...gpu.maxCount },
  };
  if (!q.include) return { view, inCountries: true };
  const dcs = Object.keys(gpu.stock)
    .map((id) => state.dataCenters.get(id))
    .filter((dc): dc is DataCenterRecord => dc !== undefined)
    .filter((dc) => !q.countryCodes || q.countryCodes.includes(dc.countryCode));
  const filterCuda = q.cudaVersions !== undefined || q.minCudaVersion !== undefined;
  const wanted = cudaWanted(gpu, q);
  const levelIn = (dc: DataCenterRecord): Availability => {
    if (filterCuda && !wanted.some((v) => dcSupportsCuda(gpu, dc, v))) return "NONE";
    return effectiveLevel(gpu, dc.id, q.demand);
  };
  let overall: Availability = "NONE";
  const perDc = dcs.map((dc) => {
    const availability = levelIn(dc);
    overall = maxLevel(overall, availability);
    return { id: dc.id, name: dc.name, availability };
  });
  view.availability = overall;
  if (dcs.length > 0) view.dataCenters = perDc;
  if (gpu.minCudaVersion !== null) {
    view.cudaVersions = wanted.map((version) => ({
      version,
      available: dcs.some((dc) =>
        dcSupportsCuda(gpu, dc, version) && effectiveLevel(gpu, dc.id, q.demand) !== "NONE"
      ),
    }));
  }
  return { view, inCountries: dcs.length > 0 };
}

function listGpus(ctx: Ctx): Response {
  const q = parseGpuQuery(ctx.query);
  if (q instanceof Response) return q;
  const gpus: Record<string, unknown>[] = [];
  for (const gpu of ctx.state.gpuTypes.values()) {
    if (gpu.hiddenFromRest) continue;
    const { view, inCountries } = gpuTypeView(ctx.state, gpu, q);
    // With countryCodes the list drops types not deployable in those countries.
    if (q.countryCodes && !inCountries) continue;
    gpus.push(view);
  }
  return json({ gpus });
}

function getGpu(ctx: Ctx): Response {
  const q = parseGpuQuery(ctx.query);
  if (q instanceof Response) return q;
  const gpu = ctx.state.gpuTypes.get(ctx.params.id ?? "");
  if (!gpu || gpu.hiddenFromRest) return problem(404, `GPU type '${ctx.params.id}' not found`);
  return json(gpuTypeView(ctx.state, gpu, q).view);
}

interface CpuQuery {
  include: boolean;
  vcpuCount?: number;
}

function parseCpuQuery(q: Record<string, string>): CpuQuery | Response {
  const errors: string[] = [];
  const include = list(q.include);
  for (const v of include ?? []) {
    if (v !== "AVAILABILITY") errors.push(`include: value must be one of 'AVAILABILITY'`);
  }
  for (const p of list(q.product) ?? []) {
    if (!["POD", "SERVERLESS"].includes(p)) {
      errors.push(`product: value must be one of 'POD', 'SERVERLESS'`);
    }
  }
  if (q.vcpuCount !== undefined && !(/^\d+$/.test(q.vcpuCount) && Number(q.vcpuCount) >= 2)) {
    errors.push(`vcpuCount: minimum: got ${q.vcpuCount}, want 2`);
  }
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  const hasInclude = include !== undefined && include.length > 0;
  if (hasInclude && !list(q.product)?.length) {
    return problem(400, "product is required when include=AVAILABILITY is set");
  }
  if (!hasInclude) {
    for (const name of ["product", "vcpuCount"]) {
      if (q[name] !== undefined) {
        return problem(400, `${name} is valid only with include=AVAILABILITY`);
      }
    }
  }
  if (q.vcpuCount !== undefined) {
    const n = Number(q.vcpuCount);
    if ((n & (n - 1)) !== 0) return problem(400, "vcpuCount must be a power of two");
    return { include: hasInclude, vcpuCount: n };
  }
  return { include: hasInclude };
}

function cpuView(state: SimulatorState, cpu: CpuTypeRecord, q: CpuQuery): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: cpu.id,
    name: cpu.name,
    group: cpu.group,
    vcpu: { ...cpu.vcpu },
    ramGbPerVcpu: cpu.ramGbPerVcpu,
    price: { ...cpu.price },
  };
  if (!q.include) return view;
  const fits = q.vcpuCount === undefined ||
    (q.vcpuCount >= cpu.vcpu.min && q.vcpuCount <= cpu.vcpu.max);
  let overall: Availability = "NONE";
  const dataCenters = Object.entries(cpu.stock).flatMap(([id, level]) => {
    const dc = state.dataCenters.get(id);
    if (!dc) return [];
    const availability = fits ? level : "NONE";
    overall = maxLevel(overall, availability);
    return [{ id, name: dc.name, availability }];
  });
  view.availability = overall;
  view.dataCenters = dataCenters;
  return view;
}

function listCpus(ctx: Ctx): Response {
  const q = parseCpuQuery(ctx.query);
  if (q instanceof Response) return q;
  return json({ cpus: [...ctx.state.cpuTypes.values()].map((c) => cpuView(ctx.state, c, q)) });
}

function getCpu(ctx: Ctx): Response {
  const q = parseCpuQuery(ctx.query);
  if (q instanceof Response) return q;
  const cpu = ctx.state.cpuTypes.get(ctx.params.id ?? "");
  if (!cpu) return problem(404, `CPU type '${ctx.params.id}' not found`);
  return json(cpuView(ctx.state, cpu, q));
}

const REGIONS = [
  "NORTH_AMERICA",
  "SOUTH_AMERICA",
  "EUROPE",
  "ASIA",
  "MIDDLE_EAST",
  "AFRICA",
  "OCEANIA",
  "ANTARCTICA",
  "UNKNOWN",
];
const COMPLIANCE = [
  "GDPR",
  "ISO_IEC_27001",
  "ISO_14001",
  "PCI_DSS",
  "HITRUST",
  "SOC_1_TYPE_2",
  "SOC_2_TYPE_2",
  "SOC_3_TYPE_2",
  "ITAR",
  "FISMA_HIGH",
  "HIPAA",
  "RENEWABLE",
];

interface DcQuery {
  gpu: boolean;
  cpu: boolean;
  regions?: string[];
  volumeTypes?: string[];
  compliance?: string[];
  globalNetwork?: boolean;
}

function parseDcQuery(q: Record<string, string>): DcQuery | Response {
  const errors: string[] = [];
  const enumCheck = (name: string, values: string[] | undefined, allowed: string[]) => {
    for (const v of values ?? []) {
      if (!allowed.includes(v)) {
        errors.push(`${name}: value must be one of ${allowed.map((a) => `'${a}'`).join(", ")}`);
      }
    }
  };
  const include = list(q.include);
  enumCheck("include", include, ["GPU_AVAILABILITY", "CPU_AVAILABILITY"]);
  const regions = list(q.regions);
  enumCheck("regions", regions, REGIONS);
  const volumeTypes = list(q.networkVolumeTypes);
  enumCheck("networkVolumeTypes", volumeTypes, ["STANDARD", "HIGH_PERFORMANCE"]);
  const compliance = list(q.compliance);
  enumCheck("compliance", compliance, COMPLIANCE);
  if (q.globalNetwork !== undefined && !["true", "false"].includes(q.globalNetwork)) {
    errors.push(`globalNetwork: got string, want boolean`);
  }
  if (errors.length > 0) return problem(422, "Request validation failed.", errors);
  const out: DcQuery = {
    gpu: include?.includes("GPU_AVAILABILITY") ?? false,
    cpu: include?.includes("CPU_AVAILABILITY") ?? false,
  };
  if (regions?.length) out.regions = regions;
  if (volumeTypes?.length) out.volumeTypes = volumeTypes;
  if (compliance?.length) out.compliance = compliance;
  if (q.globalNetwork !== undefined) out.globalNetwork = q.globalNetwork === "true";
  return out;
}

function dcView(state: SimulatorState, dc: DataCenterRecord, q: DcQuery): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: dc.id,
    name: dc.name,
    region: dc.region,
    globalNetwork: dc.globalNetwork,
    networkVolumeTypes: [...dc.networkVolumeTypes],
    compliance: [...dc.compliance],
  };
  if (q.gpu) {
    view.gpuAvailability = [...state.gpuTypes.values()]
      .filter((g) => !g.hiddenFromRest && g.stock[dc.id] !== undefined)
      .map((g) => ({ id: g.id, name: g.name, availability: g.stock[dc.id]! }));
  }
  if (q.cpu) {
    view.cpuAvailability = [...state.cpuTypes.values()]
      .filter((c) => c.stock[dc.id] !== undefined)
      .map((c) => ({ id: c.id, name: c.name, availability: c.stock[dc.id]! }));
  }
  return view;
}

function dcMatches(dc: DataCenterRecord, q: DcQuery): boolean {
  if (q.regions && !q.regions.includes(dc.region)) return false;
  if (
    q.volumeTypes && !q.volumeTypes.every((t) => (dc.networkVolumeTypes as string[]).includes(t))
  ) {
    return false;
  }
  if (q.compliance && !q.compliance.every((c) => dc.compliance.includes(c))) return false;
  if (q.globalNetwork !== undefined && dc.globalNetwork !== q.globalNetwork) return false;
  return true;
}

function listDataCenters(ctx: Ctx): Response {
  const q = parseDcQuery(ctx.query);
  if (q instanceof Response) return q;
  const dataCenters = [...ctx.state.dataCenters.values()]
    .filter((dc) => dcMatches(dc, q))
    .map((dc) => dcView(ctx.state, dc, q));
  return json({ dataCenters });
}

function getDataCenter(ctx: Ctx): Response {
  const q = parseDcQuery(ctx.query);
  if (q instanceof Response) return q;
  const dc = ctx.state.dataCenters.get(ctx.params.id ?? "");
  if (!dc) return problem(404, `data center '${ctx.params.id}' not found`);
  return json(dcView(ctx.state, dc, q));
}

/** Routes for `/v2/catalog/*` (public templates live with the templates area). */
export const catalogRoutes: readonly Route[] = [
  { method: "GET", path: "/v2/catalog/gpus", handler: listGpus },
  { method: "GET", path: "/v2/catalog/gpus/:id", handler: getGpu },
  { method: "GET", path: "/v2/catalog/cpus", handler: listCpus },
  { method: "GET", path: "/v2/catalog/cpus/:id", handler: getCpu },
  { method: "GET", path: "/v2/catalog/datacenters", handler: listDataCenters },
  { method: "GET", path: "/v2/catalog/datacenters/:id", handler: getDataCenter },
];
