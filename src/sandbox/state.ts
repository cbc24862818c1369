/**
 * The simulator's in-memory state. Tests may read and tweak it through `sim.state`.
 *
 * Records hold what RunPod stores; the wire shapes are built from them by each area's module.
 *
 * @module
 */

import type { ContainerFields } from "./container.ts";

/** Stock level, upper case as in REST v2. */
export type Availability = "NONE" | "LOW" | "MEDIUM" | "HIGH";

/** A GPU type in the catalog. */
export interface GpuTypeRecord {
  id: string;
  name: string;
  pool: string | null;
  manufacturer: "NVIDIA" | "AMD" | "UNKNOWN";
  /** VRAM in GB. */
  memory: number;
  cudaCores: number;
  secure: boolean;
  community: boolean;
  /** USD per GPU-hour. */
  price: { secure: number; community: number; serverless?: number };
  maxCount: { secure: number; community: number };
  /** Oldest CUDA runtime the type supports; null for non-NVIDIA parts. */
  minCudaVersion: string | null;
  /** Per data center stock; data centers not listed do not have the type at all. */
  stock: Record<string, Availability>;
  /** Only GraphQL shows it (the `unknown` placeholder row real RunPod returns). */
  hiddenFromRest?: boolean;
}

/** A CPU flavor in the catalog. */
export interface CpuTypeRecord {
  id: string;
  name: string;
  group: string;
  vcpu: { min: number; max: number };
  ramGbPerVcpu: number;
  price: { securePerVcpu: number; serverlessPerVcpu: number };
  stock: Record<string, Availability>;
}

/** A data center. */
export interface DataCenterRecord {
  id: string;
  name: string;
  region:
    | "NORTH_AMERICA"
    | "SOUTH_AMERICA"
    | "EUROPE"
    | "ASIA"
    | "MIDDLE_EAST"
    | "AFRICA"
    | "OCEANIA";
  countryCode: string;
  location: string;
  globalNetwork: boolean;
  networkVolumeTypes: ("STANDARD" | "HIGH_PERFORMANCE")[];
  compliance: string[];
  /** Newest CUDA version the hosts' drivers support. */
  cudaVersion: string;
}

/** Pod status as in REST v2. */
export type PodStatus = "PROVISIONING" | "STARTING" | "RUNNING" | "EXITED" | "ERROR" | "TERMINATED";

/** One log line of a pod. */
export interface LogLine {
  /** Simulator clock ms. */
  at: number;
  source: "container" | "system";
  line: string;
}

/** A pod as the simulator stores it. */
export interface PodRecord extends ContainerFields {
  id: string;
  name: string;
  status: PodStatus;
  mounts: {
    persistent?: { size: number; path: string };
    network?: { volumeId: string; path: string }[];
  };
  gpu?: { id: string; count: number };
  cpu?: { id: string; vcpuCount: number; memory: number };
  cloud: "SECURE" | "COMMUNITY";
  dataCenterId: string | null;
  cudaVersion: string | null;
  locked: boolean;
  globalNetworking: boolean;
  /** USD per hour while the pod holds compute. */
  costPerHour: number;
  createdAt: number;
  startedAt: number | null;
  /** When the pod entered its current status (clock ms); drives the boot timers. */
  statusSince: number;
  /** Billing has been settled up to this instant (clock ms). */
  billedUntil: number;
  publicIp: string;
  /** Private port → public port on `publicIp`. */
  portMap: Record<string, number>;
  sshSuffix: string;
  startSsh: boolean;
  startJupyter: boolean;
  logs: LogLine[];
  /** Template the pod was created from (the wire `template` field stays null, as observed). */
  templateId?: string;
  /** Set for Instant Cluster members; such pods are hidden from the default list. */
  cluster?: { id: string; rank: number | null; role?: ClusterRole; ip?: string };
}

/** A cluster member's role (`PodClusterRole`); SLURM and RAY clusters only. */
export type ClusterRole = "SLURM_CONTROLLER" | "SLURM_COMPUTE" | "RAY_HEAD" | "RAY_WORKER";

/** An Instant Cluster; its member pods live in `pods` with a `cluster` field. */
export interface ClusterRecord {
  id: string;
  name: string;
  type: "APPLICATION" | "TRAINING" | "SLURM" | "RAY";
  compute: { gpuTypeId: string; gpuCountPerPod: number; podCount: number };
  dataCenterId: string;
  network: { cidr: string; vxlanId: number; vxlanPort: number };
  createdAt: number;
}

/** A template the account owns, or a public one (`owned: false`). */
export interface TemplateRecord extends ContainerFields {
  id: string;
  name: string;
  mounts: { persistent?: { size: number; path: string } };
  serverless: boolean;
  public: boolean;
  category: "CPU" | "NVIDIA" | "AMD";
  startSsh: boolean;
  startJupyter: boolean;
  allowedCudaVersions: string[];
  owned: boolean;
  /** Catalog source for public templates. */
  source?: "official" | "verified" | "community";
}

/** A network volume. */
export interface NetworkVolumeRecord {
  id: string;
  name: string;
  size: number;
  dataCenter: string;
  type: "STANDARD" | "HIGH_PERFORMANCE";
  createdAt: number;
}

/** A container registry credential; the secret parts are write-only. */
export interface RegistryRecord {
  id: string;
  name: string;
  username: string;
  password: string;
}

/** An AWS ECR delegation: RunPod may pull from one ECR repository. */
export interface DelegationRecord {
  id: string;
  name: string | null;
  awsUser: string;
  repository: string;
  tag: string;
  awsRegion: string;
  createdAt: number;
}

/** A RunPod secret (GraphQL only); the value is write-only. */
export interface SecretRecord {
  id: string;
  name: string;
  value: string;
  description: string | null;
  createdAt: number;
}

/** A serverless endpoint (wire shape fields plus bookkeeping). */
export interface EndpointRecord extends ContainerFields {
  id: string;
  name: string;
  type: "QUEUE" | "LOAD_BALANCER";
  gpu: {
    pools: string[];
    excludedTypes?: string[];
    count: number;
    allowedCudaVersions: string[];
    minCudaVersion: string | null;
  } | null;
  cpu?: { id: string; vcpuCount: number; memory: number }[];
  workers: { min: number; max: number; idleTimeout?: number };
  scaling: { type: "QUEUE_DELAY"; queueDelay: number } | {
    type: "REQUEST_COUNT";
    requestCount: number;
  };
  dataCenterIds: string[];
  networkVolumes: string[];
  timeout: number;
  flashboot: "OFF" | "FLASHBOOT" | "PRIORITY_FLASHBOOT";
  createdAt: number;
  templateId?: string;
  version: number;
  releases: {
    id: string;
    version: number;
    createdAt: number;
    diff: { field: string; old: unknown; new: unknown }[];
  }[];
  /** Serverless billing has been settled up to this instant (clock ms). */
  billedUntil: number;
}

/** Job status on the serverless runtime API. */
export type JobStatus =
  | "IN_QUEUE"
  | "IN_PROGRESS"
  | "COMPLETED"
  | "FAILED"
  | "CANCELLED"
  | "TIMED_OUT";

/**
 * A serverless job. The simulated worker reads its `input`: `duration_ms` (default 2000) is the
 * execution time, `fail` (a string) makes it FAILED with that error, `stream` (an array) is
 * emitted chunk by chunk over the execution, and `output` replaces the default `{ echo: input }`.
 */
export interface JobRecord {
  id: string;
  endpointId: string;
  status: JobStatus;
  input: unknown;
  webhook?: string;
  policy?: { executionTimeout?: number; lowPriority?: boolean; ttl?: number };
  s3Config?: unknown;
  output?: unknown;
  error?: string;
  retries: number;
  workerId?: string;
  /** When the job entered the queue (clock ms; reset by retry). */
  createdAt: number;
  /** Clock ms when a worker picks it up, when it finishes (planned at submit or retry). */
  startAt: number;
  endAt: number;
  /** Planned terminal status and when the job's stream chunks are emitted. */
  outcome: "COMPLETED" | "FAILED" | "TIMED_OUT";
  streamPlan: { at: number; chunk: unknown }[];
  streamed: number;
  completedAt?: number;
  /** Stream chunks not yet drained by `/stream`. */
  pendingStream: unknown[];
  sync: boolean;
  /** The job vanishes (404) after this instant: TTL or result retention. */
  expiresAt: number;
}

/** A webhook the simulator would have POSTed (it records instead of sending). */
export interface WebhookDelivery {
  url: string;
  body: unknown;
  at: number;
}

/** One hour of accrued spend for one resource. */
export interface BillingEntry {
  /** Cluster members bill to their cluster (`resourceId` is the cluster id). */
  kind: "pod" | "serverless" | "network-volume" | "cluster";
  resourceId: string;
  /** Start of the hour (clock ms). */
  hourStart: number;
  gpuAmount: number;
  cpuAmount: number;
  diskAmount: number;
}

/** The account. */
export interface UserRecord {
  id: string;
  email: string;
  spendLimit: number;
  minBalance: number;
  lifetimeSpend: number;
  notifyLowBalance: boolean;
  notifyPodsStale: boolean;
  notifyPodsGeneral: boolean;
  creditAlertThreshold: number;
}

/** Everything the simulator knows; mutate freely in tests. */
export interface SimulatorState {
  pods: Map<string, PodRecord>;
  clusters: Map<string, ClusterRecord>;
  gpuTypes: Map<string, GpuTypeRecord>;
  cpuTypes: Map<string, CpuTypeRecord>;
  dataCenters: Map<string, DataCenterRecord>;
  /** USD, PREPAID. */
  balance: number;
  endpoints: Map<string, EndpointRecord>;
  templates: Map<string, TemplateRecord>;
  networkVolumes: Map<string, NetworkVolumeRecord>;
  registries: Map<string, RegistryRecord>;
  delegations: Map<string, DelegationRecord>;
  secrets: Map<string, SecretRecord>;
  jobs: Map<string, JobRecord>;
  sshKeys: string[];
  user: UserRecord;
  /** Keyed by `${kind}|${resourceId}|${hourStart}`. */
  billing: Map<string, BillingEntry>;
  /** Webhooks owed by finished jobs, in order (not sent over the network). */
  webhookDeliveries: WebhookDelivery[];
}
