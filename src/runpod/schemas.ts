/**
 * Zod schemas for the RunPod responses the client reads, faithful to RunPod's REST v2 OpenAPI
 * document (`openapi-v2.json`, Frontdoor v2.9.0).
 *
 * Objects are `z.looseObject`, so fields RunPod adds later are kept rather than stripped, while a
 * field of the wrong type is still rejected. Enumerations RunPod may extend (pod status, regions,
 * availability levels…) are read as plain strings and typed as "known value or any string", so a
 * new value never breaks the client but editors still suggest the known ones.
 *
 * @module
 */

import { z } from "zod";

/** A string that is usually one of `Known`, but may be a value RunPod added later. */
export type OpenEnum<Known extends string> = Known | (string & Record<never, never>);

/**
 * A schema for a string RunPod documents as an enum but may extend: any string parses, and the
 * type still names the known values. The one home of open enums; `Known` is documentation.
 */
export function openEnum<const Known extends string>(
  _known: readonly Known[],
): z.ZodType<OpenEnum<Known>> {
  return z.string() as z.ZodType<OpenEnum<Known>>;
}

/** Pod statuses RunPod documents. */
export const POD_STATUSES = [
  "PROVISIONING",
  "STARTING",
  "RUNNING",
  "EXITED",
  "ERROR",
  "TERMINATED",
] as const;
/** A documented pod status. */
export type KnownPodStatus = typeof POD_STATUSES[number];
/** A pod status as read from RunPod: a documented one or a newer one. */
export type PodStatus = OpenEnum<KnownPodStatus>;

/** True when `status` is one of {@linkcode POD_STATUSES}. */
export function isKnownPodStatus(status: string): status is KnownPodStatus {
  return (POD_STATUSES as readonly string[]).includes(status);
}

/** Pod actions RunPod documents (`POST /v2/pods/{id}/action`). */
export const POD_ACTIONS = ["start", "stop", "restart", "terminate"] as const;
/** A documented pod action. */
export type PodAction = typeof POD_ACTIONS[number];

/** Catalog availability levels, upper case (GraphQL's `stockStatus` differs). */
export const AVAILABILITY_LEVELS = ["NONE", "LOW", "MEDIUM", "HIGH"] as const;
/** A catalog availability level as read from RunPod. */
export type AvailabilityLevel = OpenEnum<typeof AVAILABILITY_LEVELS[number]>;

/** Data-center regions RunPod documents. */
export const DATA_CENTER_REGIONS = [
  "NORTH_AMERICA",
  "SOUTH_AMERICA",
  "EUROPE",
  "ASIA",
  "MIDDLE_EAST",
  "AFRICA",
  "OCEANIA",
  "ANTARCTICA",
  "UNKNOWN",
] as const;

/** Compliance certifications RunPod documents (OpenAPI `Compliance`). */
export const COMPLIANCE = [
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
] as const;

const podStatus = openEnum(POD_STATUSES);
const podAction = openEnum(POD_ACTIONS);
const availability = openEnum(AVAILABILITY_LEVELS);
const cloud = openEnum(["SECURE", "COMMUNITY"] as const);

/** Per-data-center availability of a GPU or CPU type (`DataCenterAvailability`). */
export const DataCenterAvailabilitySchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  availability,
});
/** Per-data-center availability of a GPU or CPU type. */
export type DataCenterAvailability = z.infer<typeof DataCenterAvailabilitySchema>;

/** CUDA version offered for a GPU type, with current capacity (`CudaVersionAvailability`). */
export const CudaVersionAvailabilitySchema = z.looseObject({
  version: z.string(),
  available: z.boolean(),
});
/** CUDA version offered for a GPU type. */
export type CudaVersionAvailability = z.infer<typeof CudaVersionAvailabilitySchema>;

/** One GPU type from `GET /v2/catalog/gpus` (`GpuType`). Prices are USD/hour per single GPU. */
export const GpuTypeSchema = z.looseObject({
  /** Full id for pod creation, e.g. `NVIDIA GeForce RTX 4090`. */
  id: z.string(),
  name: z.string(),
  /** Serverless pool id, e.g. `ADA_24`; null when not in a pool. */
  pool: z.string().nullable(),
  manufacturer: openEnum(["NVIDIA", "AMD", "UNKNOWN"] as const),
  /** VRAM in GB. */
  memory: z.number(),
  secure: z.boolean(),
  community: z.boolean(),
  price: z.looseObject({
    secure: z.number(),
    community: z.number(),
    /** Absent when the GPU is in no serverless pool available to the caller. */
    serverless: z.number().optional(),
  }),
  /** The largest GPU count for one pod, per cloud: a ceiling, not stock. */
  maxCount: z.looseObject({ secure: z.number(), community: z.number() }),
  /** Only with `include=AVAILABILITY`. */
  availability: availability.optional(),
  /** Only with `include=AVAILABILITY`; omitted when unavailable everywhere. */
  dataCenters: z.array(DataCenterAvailabilitySchema).optional(),
  /** Only with `include=AVAILABILITY`; treat missing as empty. */
  cudaVersions: z.array(CudaVersionAvailabilitySchema).optional(),
});
/** One GPU type from the catalog. */
export type GpuType = z.infer<typeof GpuTypeSchema>;

/** Body of `GET /v2/catalog/gpus`. */
export const ListGpuTypesResponseSchema = z.looseObject({ gpus: z.array(GpuTypeSchema) });
/** Body of `GET /v2/catalog/gpus`. */
export type ListGpuTypesResponse = z.infer<typeof ListGpuTypesResponseSchema>;

/** One CPU flavor from `GET /v2/catalog/cpus` (`CpuType`). Prices are USD/hour per vCPU. */
export const CpuTypeSchema = z.looseObject({
  /** Flavor id for pod creation, e.g. `cpu5c`. */
  id: z.string(),
  name: z.string(),
  group: z.string(),
  vcpu: z.looseObject({ min: z.number(), max: z.number() }),
  ramGbPerVcpu: z.number(),
  price: z.looseObject({ securePerVcpu: z.number(), serverlessPerVcpu: z.number() }),
  availability: availability.optional(),
  dataCenters: z.array(DataCenterAvailabilitySchema).optional(),
});
/** One CPU flavor from the catalog. */
export type CpuType = z.infer<typeof CpuTypeSchema>;

/** Body of `GET /v2/catalog/cpus`. */
export const ListCpuTypesResponseSchema = z.looseObject({ cpus: z.array(CpuTypeSchema) });
/** Body of `GET /v2/catalog/cpus`. */
export type ListCpuTypesResponse = z.infer<typeof ListCpuTypesResponseSchema>;

/** One data center from `GET /v2/catalog/datacenters` (`DataCenter`). */
export const DataCenterSchema = z.looseObject({
  /** E.g. `EU-RO-1`. */
  id: z.string(),
  name: z.string(),
  region: openEnum(DATA_CENTER_REGIONS),
  globalNetwork: z.boolean(),
  /** `STANDARD` and/or `HIGH_PERFORMANCE`; empty when the DC has no network volumes. */
  networkVolumeTypes: z.array(openEnum(["STANDARD", "HIGH_PERFORMANCE"] as const)),
  compliance: z.array(z.string()),
  /** Only with `include=GPU_AVAILABILITY`. */
  gpuAvailability: z.array(DataCenterAvailabilitySchema).optional(),
  /** Only with `include=CPU_AVAILABILITY`. */
  cpuAvailability: z.array(DataCenterAvailabilitySchema).optional(),
});
/** One data center from the catalog. */
export type DataCenter = z.infer<typeof DataCenterSchema>;

/** Body of `GET /v2/catalog/datacenters`. */
export const ListDataCentersResponseSchema = z.looseObject({
  dataCenters: z.array(DataCenterSchema),
});
/** Body of `GET /v2/catalog/datacenters`. */
export type ListDataCentersResponse = z.infer<typeof ListDataCentersResponseSchema>;

const PersistentMountSchema = z.looseObject({ size: z.number(), path: z.string() });
const NetworkMountSchema = z.looseObject({ volumeId: z.string(), path: z.string() });

/** A pod's storage mounts (`Mounts`). */
export const MountsSchema = z.looseObject({
  persistent: PersistentMountSchema.optional(),
  network: z.array(NetworkMountSchema).optional(),
});
/** A pod's storage mounts. */
export type Mounts = z.infer<typeof MountsSchema>;

const SshEndpointSchema = z.looseObject({
  host: z.string(),
  port: z.number(),
  username: z.string(),
  command: z.string(),
});

const UtilizationSchema = z.looseObject({ util: z.number().optional() });

/** Live metrics of a running pod (`PodRuntime`); every field is optional in the spec. */
export const PodRuntimeSchema = z.looseObject({
  /** Seconds since the container started. */
  uptime: z.number().optional(),
  gpus: z.array(
    z.looseObject({ util: z.number().optional(), memoryUtil: z.number().optional() }),
  ).optional(),
  cpu: UtilizationSchema.optional(),
  memory: UtilizationSchema.optional(),
  ports: z.array(z.looseObject({
    private: z.number().optional(),
    public: z.number().nullable().optional(),
    type: z.string().optional(),
    ip: z.string().nullable().optional(),
  })).optional(),
});
/** Live metrics of a running pod. */
export type PodRuntime = z.infer<typeof PodRuntimeSchema>;

/** A pod from `GET /v2/pods` or `GET /v2/pods/{id}` (`Pod`). */
export const PodSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  /** Read as a string so a status RunPod adds later does not break the client. */
  status: podStatus,
  /** Actions valid for the current status. */
  actions: z.array(podAction),
  image: z.string(),
  /** Start command as one string. */
  args: z.string(),
  /** Container disk in GB. */
  disk: z.number(),
  mounts: MountsSchema,
  ports: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  /** Container-registry credential id. */
  registry: z.string().nullable(),
  /** Present for GPU pods. */
  gpu: z.looseObject({ id: z.string(), count: z.number().optional() }).optional(),
  /** Present for CPU pods; `memory` in GB. */
  cpu: z.looseObject({ id: z.string(), vcpuCount: z.number(), memory: z.number() }).optional(),
  cloud,
  dataCenterId: z.string().nullable(),
  cudaVersion: z.string().nullable(),
  ssh: z.looseObject({
    proxy: SshEndpointSchema.nullable(),
    direct: SshEndpointSchema.nullable(),
  }),
  /** Present only for Instant Cluster members. */
  cluster: z.looseObject({
    id: z.string(),
    rank: z.number().nullable(),
    role: z.string().optional(),
    ip: z.string().optional(),
  }).optional(),
  template: z.string().nullable(),
  /** Current cost in USD/hour; 0 when EXITED or TERMINATED. */
  cost: z.number(),
  locked: z.boolean(),
  globalNetworking: z.looseObject({
    enabled: z.boolean(),
    ip: z.string().optional(),
    internalDns: z.string().optional(),
  }),
  /** Null unless RUNNING. */
  runtime: PodRuntimeSchema.nullable(),
  /** RFC 3339. */
  createdAt: z.string(),
  /** RFC 3339; null when never started. */
  startedAt: z.string().nullable(),
});
/** A pod as RunPod reports it. */
export type Pod = z.infer<typeof PodSchema>;

/** Body of `GET /v2/pods`. */
export const ListPodsResponseSchema = z.looseObject({ pods: z.array(PodSchema) });
/** Body of `GET /v2/pods`. */
export type ListPodsResponse = z.infer<typeof ListPodsResponseSchema>;

/** RFC 9457 problem details as REST v2 sends them (`ErrorResponse`). */
export const ProblemDetailsSchema = z.looseObject({
  type: z.string().optional(),
  title: z.string(),
  status: z.number(),
  detail: z.string(),
  errors: z.array(z.string()).optional(),
});
/** RFC 9457 problem details. */
export type ProblemDetails = z.infer<typeof ProblemDetailsSchema>;

/** The account fields read through GraphQL `myself` (balance and spend, in USD). */
export const MyselfSchema = z.looseObject({
  id: z.string(),
  /** Credit balance in USD. */
  clientBalance: z.number(),
  /** Current spend in USD/hour across running resources. */
  currentSpendPerHr: z.number(),
  /** Account spend limit in USD as RunPod reports it; null when none is set. */
  spendLimit: z.number().nullable(),
});
/** The account fields read through GraphQL `myself`. */
export type Myself = z.infer<typeof MyselfSchema>;

/** Response schema for `204 No Content` operations such as `DELETE /v2/pods/{id}`. */
export const NoContentSchema: z.ZodType<undefined> = z.undefined();
