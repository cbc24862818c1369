/**
 * Every RunPod write runpod-mcp knows, in one table: REST v2 operations, job-API operations and
 * GraphQL mutations, each with its kind (billable, destructive, plain), how to price it and which
 * tools send it. The guard, the annotation check and the README's Safety table all derive from
 * this table, and a write that matches no row is refused: a new write cannot slip through
 * unconfirmed and uncapped because somebody forgot to classify it.
 *
 * @module
 */

import type { HttpMethod, PlannedRequest, RunpodApi } from "../runpod/mod.ts";

/** How a write affects money and data. */
export type WriteKind =
  /** Starts or adds spend: confirmed by default, held to every cap. */
  | "billable"
  /** Billable only when pricing shows it raises the spend (an update); plain otherwise. */
  | "billable-if-raised"
  /** Loses data or work for good: confirmed under `--confirm destructive` too. */
  | "destructive"
  /** Changes the account without new spend or loss: refused only in read-only mode. */
  | "plain";

/**
 * How the guard prices a write:
 * - `pod-create`: the body's GPU or CPU at catalog prices;
 * - `pod-start`: the pod's own GPU or CPU, read from RunPod;
 * - `endpoint`: always-on workers and every worker busy, from the body merged with the current
 *   endpoint on an update;
 * - `network-volume`: monthly storage price of the size (grown size on an update);
 * - `cluster`: pods × GPUs per pod × the GPU's SECURE catalog price, from the create body;
 * - `unpriced`: billable, but runpod-mcp has no price for it yet, so every cap that needs a price
 *   refuses it and the confirmation says the cost is unknown;
 * - `none`: no spend.
 */
export type PriceRule =
  | "pod-create"
  | "pod-start"
  | "endpoint"
  | "network-volume"
  | "cluster"
  | "unpriced"
  | "none";

/** One RunPod write. */
export interface WriteRule {
  /** The OpenAPI `operationId`, or the job-API operation or GraphQL mutation name. */
  operation: string;
  api: RunpodApi;
  method: HttpMethod;
  /**
   * The path template: REST as in the OpenAPI document (`/v2/pods/{id}/action`); job API from the
   * endpoint id on (`/{endpointId}/run`), whatever base URL precedes it; GraphQL: the URL path.
   */
  path: string;
  /** For `POST /v2/pods/{id}/action`: the `action` in the body this row covers. */
  bodyAction?: string;
  /** For GraphQL: the mutation's top-level field, e.g. `secretCreate`. */
  mutation?: string;
  kind: WriteKind;
  price: PriceRule;
  /** What it does, in words a user reads in the Safety table. */
  effect: string;
  /** The action in a confirmation or refusal, with `{param}` from the path, e.g. `stop pod {id}`. */
  action: string;
  /** Tools that send it; empty for writes no tool sends yet (still guarded). */
  tools: readonly string[];
}

/** The table. Order does not matter: no request matches two rows. */
export const WRITE_RULES: readonly WriteRule[] = [
  {
    operation: "createPod",
    action: "create a pod",
    api: "rest",
    method: "POST",
    path: "/v2/pods",
    kind: "billable",
    price: "pod-create",
    effect: "create a pod (billed per hour from the start)",
    tools: ["create_pod"],
  },
  {
    operation: "updatePod",
    action: "update pod {id} (RunPod restarts it)",
    api: "rest",
    method: "PATCH",
    path: "/v2/pods/{id}",
    kind: "destructive",
    price: "none",
    effect: "change a pod; RunPod restarts it, losing the container disk and running work",
    tools: ["update_pod"],
  },
  {
    operation: "deletePod",
    action: "terminate pod {id} and delete its pod volume",
    api: "rest",
    method: "DELETE",
    path: "/v2/pods/{id}",
    kind: "destructive",
    price: "none",
    effect: "terminate a pod and delete its pod volume",
    tools: [],
  },
  {
    operation: "podAction start",
    action: "start pod {id}",
    api: "rest",
    method: "POST",
    path: "/v2/pods/{id}/action",
    bodyAction: "start",
    kind: "billable",
    price: "pod-start",
    effect: "start a stopped pod (billed per hour again)",
    tools: ["start_pod"],
  },
  {
    operation: "podAction stop",
    action: "stop pod {id} (its container disk is wiped)",
    api: "rest",
    method: "POST",
    path: "/v2/pods/{id}/action",
    bodyAction: "stop",
    kind: "destructive",
    price: "none",
    effect: "stop a pod; its container disk is wiped and running work ends",
    tools: ["stop_pod"],
  },
  {
    operation: "podAction restart",
    action: "restart pod {id}",
    api: "rest",
    method: "POST",
    path: "/v2/pods/{id}/action",
    bodyAction: "restart",
    kind: "destructive",
    price: "none",
    effect: "restart a pod's container; running work ends",
    tools: ["restart_pod"],
  },
  {
    operation: "podAction terminate",
    action: "terminate pod {id} and delete its pod volume",
    api: "rest",
    method: "POST",
    path: "/v2/pods/{id}/action",
    bodyAction: "terminate",
    kind: "destructive",
    price: "none",
    effect: "terminate a pod and delete its pod volume",
    tools: ["terminate_pod"],
  },
  {
    operation: "updateSshKeys",
    action: "replace the account's SSH keys",
    api: "rest",
    method: "PUT",
    path: "/v2/account/ssh-keys",
    kind: "destructive",
    price: "none",
    effect: "replace the account's whole SSH key list",
    tools: ["add_ssh_key", "remove_ssh_key"],
  },
  {
    operation: "createCluster",
    action: "create an Instant Cluster",
    api: "rest",
    method: "POST",
    path: "/v2/clusters",
    kind: "billable",
    price: "cluster",
    effect: "create an Instant Cluster (pods × GPUs, billed per hour)",
    tools: ["create_cluster"],
  },
  {
    operation: "updateCluster",
    action: "rename Instant Cluster {id}",
    api: "rest",
    method: "PATCH",
    path: "/v2/clusters/{id}",
    // RunPod's PATCH only renames: compute shape and pods are fixed at create.
    kind: "plain",
    price: "none",
    effect: "rename an Instant Cluster",
    tools: ["update_cluster"],
  },
  {
    operation: "deleteCluster",
    action: "delete Instant Cluster {id} and its pods",
    api: "rest",
    method: "DELETE",
    path: "/v2/clusters/{id}",
    kind: "destructive",
    price: "none",
    effect: "delete an Instant Cluster and its pods",
    tools: ["delete_cluster"],
  },
  {
    operation: "createEndpoint",
    action: "create a serverless endpoint",
    api: "rest",
    method: "POST",
    path: "/v2/serverless",
    kind: "billable",
    price: "endpoint",
    effect:
      "create a serverless endpoint (always-on workers bill per hour; busy workers per second)",
    tools: ["create_endpoint"],
  },
  {
    operation: "updateEndpoint",
    action: "update serverless endpoint {id}",
    api: "rest",
    method: "PATCH",
    path: "/v2/serverless/{id}",
    kind: "billable-if-raised",
    price: "endpoint",
    effect: "change a serverless endpoint; billable when it raises always-on or maximum spend",
    tools: ["update_endpoint"],
  },
  {
    operation: "deleteEndpoint",
    action: "delete serverless endpoint {id}",
    api: "rest",
    method: "DELETE",
    path: "/v2/serverless/{id}",
    kind: "destructive",
    price: "none",
    effect: "delete a serverless endpoint",
    tools: ["delete_endpoint"],
  },
  {
    operation: "createTemplate",
    action: "create a template",
    api: "rest",
    method: "POST",
    path: "/v2/templates",
    kind: "plain",
    price: "none",
    effect: "create a template",
    tools: ["create_template"],
  },
  {
    operation: "updateTemplate",
    action: "overwrite template {id}",
    api: "rest",
    method: "PATCH",
    path: "/v2/templates/{id}",
    kind: "destructive",
    price: "none",
    effect: "overwrite a template's settings; endpoints using it roll out the change",
    tools: ["update_template"],
  },
  {
    operation: "deleteTemplate",
    action: "delete template {id}",
    api: "rest",
    method: "DELETE",
    path: "/v2/templates/{id}",
    kind: "destructive",
    price: "none",
    effect: "delete a template",
    tools: ["delete_template"],
  },
  {
    operation: "createNetworkVolume",
    action: "create a network volume",
    api: "rest",
    method: "POST",
    path: "/v2/network-volumes",
    kind: "billable",
    price: "network-volume",
    effect: "create a network volume (billed per GB-month)",
    tools: ["create_network_volume"],
  },
  {
    operation: "updateNetworkVolume",
    action: "update network volume {id}",
    api: "rest",
    method: "PATCH",
    path: "/v2/network-volumes/{id}",
    kind: "billable-if-raised",
    price: "network-volume",
    effect: "rename or grow a network volume; billable when it grows",
    tools: ["update_network_volume"],
  },
  {
    operation: "deleteNetworkVolume",
    action: "delete network volume {id} (its data is lost)",
    api: "rest",
    method: "DELETE",
    path: "/v2/network-volumes/{id}",
    kind: "destructive",
    price: "none",
    effect: "delete a network volume and its data",
    tools: ["delete_network_volume"],
  },
  {
    operation: "createRegistry",
    action: "store a registry credential",
    api: "rest",
    method: "POST",
    path: "/v2/registries",
    kind: "plain",
    price: "none",
    effect: "store a container registry credential",
    tools: ["create_registry"],
  },
  {
    operation: "deleteRegistry",
    action: "delete registry credential {id}",
    api: "rest",
    method: "DELETE",
    path: "/v2/registries/{id}",
    kind: "destructive",
    price: "none",
    effect: "delete a container registry credential",
    tools: ["delete_registry"],
  },
  {
    operation: "createDelegation",
    action: "create an AWS ECR delegation",
    api: "rest",
    method: "POST",
    path: "/v2/registries/delegations",
    kind: "plain",
    price: "none",
    effect: "let RunPod pull from an AWS ECR repository",
    tools: ["create_ecr_delegation"],
  },
  {
    operation: "revokeDelegation",
    action: "revoke AWS ECR delegation {id}",
    api: "rest",
    method: "DELETE",
    path: "/v2/registries/delegations/{id}",
    kind: "destructive",
    price: "none",
    effect: "revoke an AWS ECR delegation",
    tools: ["revoke_ecr_delegation"],
  },
  {
    operation: "secretCreate",
    action: "store a RunPod secret",
    api: "graphql",
    method: "POST",
    path: "/graphql",
    mutation: "secretCreate",
    kind: "plain",
    price: "none",
    effect: "store a RunPod secret (its value comes from the server's environment)",
    tools: ["create_secret"],
  },
  {
    operation: "secretDelete",
    action: "delete a RunPod secret",
    api: "graphql",
    method: "POST",
    path: "/graphql",
    mutation: "secretDelete",
    kind: "destructive",
    price: "none",
    effect: "delete a RunPod secret; env values referring to it get no value",
    tools: ["delete_secret"],
  },
  {
    operation: "updateRegistryAuth",
    action: "overwrite the login of a registry credential",
    api: "graphql",
    method: "POST",
    path: "/graphql",
    mutation: "updateRegistryAuth",
    // The old login cannot be read back or restored, and every pull with this credential uses
    // the new one: a mistyped password breaks them until someone has the old one again.
    kind: "destructive",
    price: "none",
    effect: "overwrite a container registry credential's username and password",
    tools: ["update_registry"],
  },
  {
    operation: "run",
    action: "queue a job on endpoint {endpointId}",
    api: "jobs",
    method: "POST",
    path: "/{endpointId}/run",
    kind: "plain",
    price: "none",
    effect: "queue a job; it bills per second within the endpoint's confirmed worker limits",
    tools: ["run_job"],
  },
  {
    operation: "runsync",
    action: "run a job on endpoint {endpointId}",
    api: "jobs",
    method: "POST",
    path: "/{endpointId}/runsync",
    kind: "plain",
    price: "none",
    effect: "run a job and wait; it bills per second within the endpoint's confirmed worker limits",
    tools: ["run_job_sync"],
  },
  {
    operation: "cancel",
    action: "cancel job {jobId} of endpoint {endpointId}",
    api: "jobs",
    method: "POST",
    path: "/{endpointId}/cancel/{jobId}",
    kind: "plain",
    price: "none",
    effect: "cancel a job",
    tools: ["cancel_job"],
  },
  {
    operation: "retry",
    action: "retry job {jobId} of endpoint {endpointId}",
    api: "jobs",
    method: "POST",
    path: "/{endpointId}/retry/{jobId}",
    kind: "plain",
    price: "none",
    effect: "queue a failed job again",
    tools: ["retry_job"],
  },
  {
    operation: "purge-queue",
    action: "remove every queued job of endpoint {endpointId}",
    api: "jobs",
    method: "POST",
    path: "/{endpointId}/purge-queue",
    kind: "destructive",
    price: "none",
    effect: "remove every queued job of an endpoint",
    tools: ["purge_queue"],
  },
];

/** A request matched to its row, with the path's parameters decoded. */
export interface MatchedWrite {
  rule: WriteRule;
  params: Record<string, string>;
}

/** The row's action with the request's path parameters filled in. */
export function describeWrite(matched: MatchedWrite): string {
  return matched.rule.action.replace(
    /\{(\w+)\}/g,
    (_m, name: string) => matched.params[name] ?? "?",
  );
}

const SEGMENT = "([^/]+)";

function compile(rule: WriteRule): RegExp {
  const body = rule.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, SEGMENT);
  // The job API's base URL is configurable, so only the part from the endpoint id on is fixed.
  return new RegExp(rule.api === "jobs" ? `^(?:/[^/]+)*?${body}$` : `^${body}$`);
}

const COMPILED = WRITE_RULES.map((rule) => ({
  rule,
  pattern: compile(rule),
  names: [...rule.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
}));

/** The top-level fields a GraphQL document's mutation selects, e.g. `["secretCreate"]`. */
export function mutationFields(document: string): string[] {
  const match = /\bmutation\b[^{]*\{([\s\S]*)\}\s*$/.exec(document);
  if (!match) return [];
  const fields: string[] = [];
  let depth = 0;
  let parens = 0;
  for (const token of match[1]!.matchAll(/[A-Za-z_][A-Za-z0-9_]*|[{}()]/g)) {
    const word = token[0];
    if (word === "{") depth++;
    else if (word === "}") depth--;
    else if (word === "(") parens++;
    else if (word === ")") parens--;
    else if (depth === 0 && parens === 0) {
      // `alias: field` selects `field`; the alias is whatever came before the colon.
      const after = match[1]!.slice(token.index! + word.length).trimStart();
      if (!after.startsWith(":")) fields.push(word);
    }
  }
  return fields;
}

/**
 * Finds the row for a request, or undefined when runpod-mcp has no rule for it. A GraphQL
 * mutation matches only when every field it selects has a row.
 */
export function matchWrite(request: PlannedRequest): MatchedWrite | undefined {
  if (request.api === "graphql") {
    const document = (request.body as { query?: unknown } | undefined)?.query;
    const fields = typeof document === "string" ? mutationFields(document) : [];
    const rows = fields.map((field) =>
      WRITE_RULES.find((r) => r.api === "graphql" && r.mutation === field)
    );
    if (rows.length !== 1 || !rows[0]) return undefined;
    return { rule: rows[0], params: {} };
  }
  for (const { rule, pattern, names } of COMPILED) {
    if (rule.api !== request.api || rule.method !== request.method) continue;
    const match = pattern.exec(request.path);
    if (!match) continue;
    if (rule.bodyAction !== undefined) {
      const action = (request.body as { action?: unknown } | undefined)?.action;
      if (action !== rule.bodyAction) continue;
    }
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      params[name] = decodeURIComponent(match[i + 1]!);
    });
    return { rule, params };
  }
  return undefined;
}
