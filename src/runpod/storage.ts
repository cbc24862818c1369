/**
 * Templates, network volumes, container-registry credentials and AWS ECR delegations on REST v2
 * (plus GraphQL `updateRegistryAuth`, which REST lacks): zod schemas for what RunPod returns and
 * one function per operation over {@linkcode RunpodClient}.
 *
 * @module
 */

import { z } from "zod";
import type { RunpodClient } from "./client.ts";
import { RunpodApiError } from "./errors.ts";
import { pathSegment } from "./path.ts";
import { NoContentSchema, openEnum } from "./schemas.ts";
import { MASK } from "../secrets.ts";

/** Template categories RunPod documents (`TemplateCategory`). */
export const TEMPLATE_CATEGORIES = ["NVIDIA", "AMD", "CPU"] as const;
/** One of {@linkcode TEMPLATE_CATEGORIES}. */
export type TemplateCategory = typeof TEMPLATE_CATEGORIES[number];

/** Network volume storage tiers (`VolumeType`). */
export const VOLUME_TYPES = ["STANDARD", "HIGH_PERFORMANCE"] as const;
/** One of {@linkcode VOLUME_TYPES}. */
export type VolumeType = typeof VOLUME_TYPES[number];

/** Slices of the public template catalog (`GET /v2/catalog/templates?source=`). */
export const TEMPLATE_SOURCES = ["official", "verified", "community"] as const;
/** One of {@linkcode TEMPLATE_SOURCES}. */
export type TemplateSource = typeof TEMPLATE_SOURCES[number];

/** RunPod returns at most this many catalog templates and has no pagination. */
export const TEMPLATE_CATALOG_LIMIT = 100;

/** A template's storage (`TemplateMounts`): only a persistent pod volume. */
export const TemplateMountsSchema = z.looseObject({
  persistent: z.looseObject({ size: z.number(), path: z.string() }).optional(),
});

/** A template from `/v2/templates` or the public catalog (`Template`). */
export const TemplateSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  /** Start command as one string. */
  args: z.string(),
  /** Container disk in GB. */
  disk: z.number(),
  mounts: TemplateMountsSchema,
  ports: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  /** Container-registry credential id; always null for templates you don't own. */
  registry: z.string().nullable(),
  serverless: z.boolean(),
  public: z.boolean(),
  category: openEnum(TEMPLATE_CATEGORIES),
  startSsh: z.boolean(),
  startJupyter: z.boolean(),
  allowedCudaVersions: z.array(z.string()),
});
/** A template as RunPod reports it. */
export type Template = z.infer<typeof TemplateSchema>;

/** Body of `GET /v2/templates` and `GET /v2/catalog/templates`. */
export const ListTemplatesResponseSchema = z.looseObject({ templates: z.array(TemplateSchema) });

/** A network volume (`NetworkVolume`); `size` in GB. */
export const NetworkVolumeSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  dataCenter: z.string(),
  type: openEnum(VOLUME_TYPES),
});
/** A network volume as RunPod reports it. */
export type NetworkVolume = z.infer<typeof NetworkVolumeSchema>;

/** Body of `GET /v2/network-volumes`. */
export const ListNetworkVolumesResponseSchema = z.looseObject({
  networkVolumes: z.array(NetworkVolumeSchema),
});

/** A container-registry credential (`Registry`); username and password are write-only. */
export const RegistrySchema = z.looseObject({ id: z.string(), name: z.string() });
/** A registry credential as RunPod reports it. */
export type Registry = z.infer<typeof RegistrySchema>;

/** Body of `GET /v2/registries`. */
export const ListRegistriesResponseSchema = z.looseObject({ registries: z.array(RegistrySchema) });

/** An AWS ECR delegation (`EcrDelegation`). */
export const EcrDelegationSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullish(),
  delegatorUserId: z.string(),
  awsUser: z.string(),
  repository: z.string(),
  tag: z.string(),
  awsRegion: z.string(),
  dockerRegistryUri: z.string().optional(),
  createdAt: z.string(),
});
/** An ECR delegation as RunPod reports it. */
export type EcrDelegation = z.infer<typeof EcrDelegationSchema>;

/** Body of `GET /v2/registries/delegations`. */
export const ListDelegationsResponseSchema = z.looseObject({
  delegations: z.array(EcrDelegationSchema),
});

/** `CreateDelegationRequest`: an ECR repository ARN and an optional name. */
export interface CreateDelegationBody {
  resource: string;
  name?: string;
}

/** Input of GraphQL `updateRegistryAuth`; username and password are write-only. */
export interface UpdateRegistryAuthBody {
  id: string;
  username: string;
  password: string;
}

// The password travels in a variable whose name marks it secret (masked in dry runs and logs).
const UPDATE_REGISTRY_AUTH =
  `mutation UpdateRegistryAuth($id: String!, $username: String!, $password: String!) {
  updateRegistryAuth(input: {id: $id, username: $username, password: $password}) { id name }
}`;
const UpdateRegistryAuthDataSchema = z.looseObject({ updateRegistryAuth: RegistrySchema });

/** `CreateTemplateRequest` (only the fields runpod-mcp sends; never `mounts.network`). */
export interface CreateTemplateBody {
  name: string;
  image: string;
  serverless?: boolean;
  category?: TemplateCategory;
  disk?: number;
  mounts?: { persistent: { size: number; path: string } };
  ports?: string[];
  env?: Record<string, string>;
  args?: string;
  registry?: string;
  startSsh?: boolean;
  startJupyter?: boolean;
}

/** `UpdateTemplateRequest`: a partial update. */
export type UpdateTemplateBody = Partial<CreateTemplateBody>;

/** `CreateNetworkVolumeRequest`; `size` in GB. */
export interface CreateNetworkVolumeBody {
  name: string;
  size: number;
  dataCenter: string;
  type?: VolumeType;
}

/** `UpdateNetworkVolumeRequest`: at least one field; `size` may only grow. */
export interface UpdateNetworkVolumeBody {
  name?: string;
  size?: number;
}

/** `CreateRegistryRequest`; all fields are write-only at RunPod. */
export interface CreateRegistryBody {
  name: string;
  username: string;
  password: string;
}

// --- templates ---

/** Lists the account's own templates (`GET /v2/templates`). */
export async function listTemplates(
  client: RunpodClient,
  signal?: AbortSignal,
): Promise<Template[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/templates",
    schema: ListTemplatesResponseSchema,
    signal,
  });
  return body.templates;
}

/** Lists one slice of the public catalog, at most 100 (`GET /v2/catalog/templates`). */
export async function listPublicTemplates(
  client: RunpodClient,
  source: TemplateSource,
  signal?: AbortSignal,
): Promise<Template[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/catalog/templates",
    query: { source },
    schema: ListTemplatesResponseSchema,
    signal,
  });
  return body.templates;
}

/** Gets one template, own or public (`GET /v2/templates/{id}`). */
export async function getTemplate(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<Template> {
  return await client.rest({
    method: "GET",
    path: `/v2/templates/${pathSegment(id, "template id")}`,
    schema: TemplateSchema,
    signal,
  });
}

/** Creates a template (`POST /v2/templates`); never retried after a 5xx or timeout. */
export async function createTemplate(
  client: RunpodClient,
  body: CreateTemplateBody,
  signal?: AbortSignal,
): Promise<Template> {
  return await client.rest({
    method: "POST",
    path: "/v2/templates",
    body,
    schema: TemplateSchema,
    idempotent: false,
    signal,
  });
}

/**
 * Updates an own template (`PATCH /v2/templates/{id}`). Every field sets an absolute value, so
 * sending it twice changes nothing more and the request may be retried.
 */
export async function updateTemplate(
  client: RunpodClient,
  id: string,
  body: UpdateTemplateBody,
  signal?: AbortSignal,
): Promise<Template> {
  return await client.rest({
    method: "PATCH",
    path: `/v2/templates/${pathSegment(id, "template id")}`,
    body,
    schema: TemplateSchema,
    idempotent: true,
    signal,
  });
}

/** Deletes an own template (`DELETE /v2/templates/{id}`); 400 while a pod or endpoint uses it. */
export async function deleteTemplate(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  await client.rest({
    method: "DELETE",
    path: `/v2/templates/${pathSegment(id, "template id")}`,
    schema: NoContentSchema,
    signal,
  });
}

// --- network volumes ---

/** Lists the account's network volumes (`GET /v2/network-volumes`). */
export async function listNetworkVolumes(
  client: RunpodClient,
  signal?: AbortSignal,
): Promise<NetworkVolume[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/network-volumes",
    schema: ListNetworkVolumesResponseSchema,
    signal,
  });
  return body.networkVolumes;
}

/** Gets one network volume (`GET /v2/network-volumes/{id}`). */
export async function getNetworkVolume(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<NetworkVolume> {
  return await client.rest({
    method: "GET",
    path: `/v2/network-volumes/${pathSegment(id, "network volume id")}`,
    schema: NetworkVolumeSchema,
    signal,
  });
}

/**
 * Creates a network volume (`POST /v2/network-volumes`). Never retried after a 5xx or timeout:
 * RunPod may have created it, and storage bills from creation.
 */
export async function createNetworkVolume(
  client: RunpodClient,
  body: CreateNetworkVolumeBody,
  signal?: AbortSignal,
): Promise<NetworkVolume> {
  return await client.rest({
    method: "POST",
    path: "/v2/network-volumes",
    body,
    schema: NetworkVolumeSchema,
    idempotent: false,
    signal,
  });
}

/**
 * Renames or grows a network volume (`PATCH /v2/network-volumes/{id}`). The body holds absolute
 * values (a size, not an increment), so a retry cannot grow the volume twice.
 */
export async function updateNetworkVolume(
  client: RunpodClient,
  id: string,
  body: UpdateNetworkVolumeBody,
  signal?: AbortSignal,
): Promise<NetworkVolume> {
  return await client.rest({
    method: "PATCH",
    path: `/v2/network-volumes/${pathSegment(id, "network volume id")}`,
    body,
    schema: NetworkVolumeSchema,
    idempotent: true,
    signal,
  });
}

/** Deletes a network volume and its data (`DELETE /v2/network-volumes/{id}`). */
export async function deleteNetworkVolume(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  await client.rest({
    method: "DELETE",
    path: `/v2/network-volumes/${pathSegment(id, "network volume id")}`,
    schema: NoContentSchema,
    signal,
  });
}

// --- registry credentials ---

/** Lists the account's container-registry credentials (`GET /v2/registries`). */
export async function listRegistries(
  client: RunpodClient,
  signal?: AbortSignal,
): Promise<Registry[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/registries",
    schema: ListRegistriesResponseSchema,
    signal,
  });
  return body.registries;
}

/** Gets one registry credential, id and name only (`GET /v2/registries/{id}`). */
export async function getRegistry(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<Registry> {
  return await client.rest({
    method: "GET",
    path: `/v2/registries/${pathSegment(id, "registry id")}`,
    schema: RegistrySchema,
    signal,
  });
}

function scrub(text: string, secret: string): string {
  return secret === "" ? text : text.split(secret).join(MASK);
}

/**
 * The error with every occurrence of a write-only `secret` (a password, a secret's value) that
 * RunPod may have quoted back replaced by {@linkcode MASK}; errors other than
 * {@linkcode RunpodApiError} carry no response text and are returned as they are.
 */
export function scrubApiError(error: unknown, secret: string): unknown {
  if (!(error instanceof RunpodApiError)) return error;
  const clean = (text: string) => scrub(text, secret);
  return new RunpodApiError({
    status: error.status,
    method: error.method,
    path: error.path,
    api: error.api,
    ...(error.idempotent !== undefined ? { idempotent: error.idempotent } : {}),
    errors: error.errors.map(clean),
    ...(error.title !== undefined ? { title: clean(error.title) } : {}),
    ...(error.detail !== undefined ? { detail: clean(error.detail) } : {}),
    ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
  });
}

/**
 * Creates a container-registry credential (`POST /v2/registries`). The password is write-only:
 * should RunPod ever quote it back in an error, it is scrubbed before the error leaves here, so
 * no log line or tool result can carry it.
 */
export async function createRegistry(
  client: RunpodClient,
  body: CreateRegistryBody,
  signal?: AbortSignal,
): Promise<Registry> {
  try {
    return await client.rest({
      method: "POST",
      path: "/v2/registries",
      body,
      schema: RegistrySchema,
      idempotent: false,
      signal,
    });
  } catch (error) {
    throw scrubApiError(error, body.password);
  }
}

/**
 * Deletes a registry credential (`DELETE /v2/registries/{id}`); 400 while a pod uses it.
 * Templates and endpoints that referenced it are left with `registry: null`.
 */
export async function deleteRegistry(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  await client.rest({
    method: "DELETE",
    path: `/v2/registries/${pathSegment(id, "registry id")}`,
    schema: NoContentSchema,
    signal,
  });
}

/**
 * Replaces a registry credential's username and password (GraphQL `updateRegistryAuth`; REST has
 * no update). Never retried after a 5xx or network error, and the password is scrubbed from any
 * error, as for {@linkcode createRegistry}.
 */
export async function updateRegistryAuth(
  client: RunpodClient,
  body: UpdateRegistryAuthBody,
  signal?: AbortSignal,
): Promise<Registry> {
  try {
    const data = await client.graphql(
      UPDATE_REGISTRY_AUTH,
      { id: body.id, username: body.username, password: body.password },
      UpdateRegistryAuthDataSchema,
      signal,
    );
    return data.updateRegistryAuth;
  } catch (error) {
    throw scrubApiError(error, body.password);
  }
}

// --- AWS ECR delegations ---

/** Lists the account's AWS ECR delegations (`GET /v2/registries/delegations`). */
export async function listDelegations(
  client: RunpodClient,
  signal?: AbortSignal,
): Promise<EcrDelegation[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/registries/delegations",
    schema: ListDelegationsResponseSchema,
    signal,
  });
  return body.delegations;
}

/** Lets RunPod pull from one ECR repository (`POST /v2/registries/delegations`); never retried. */
export async function createDelegation(
  client: RunpodClient,
  body: CreateDelegationBody,
  signal?: AbortSignal,
): Promise<EcrDelegation> {
  return await client.rest({
    method: "POST",
    path: "/v2/registries/delegations",
    body,
    schema: EcrDelegationSchema,
    idempotent: false,
    signal,
  });
}

/** Revokes an ECR delegation (`DELETE /v2/registries/delegations/{id}`). */
export async function revokeDelegation(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  await client.rest({
    method: "DELETE",
    path: `/v2/registries/delegations/${pathSegment(id, "delegation id")}`,
    schema: NoContentSchema,
    signal,
  });
}
