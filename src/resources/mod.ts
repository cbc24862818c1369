/**
 * MCP resources: live, compact JSON views of the RunPod account (GPU catalog, pods, endpoints,
 * templates, network volumes, balance), built with the same row helpers as the tools. Pod
 * resources can be subscribed to; a shared poller then sends `notifications/resources/updated`
 * when a pod's status changes.
 *
 * @module
 */

import { type McpServer, ProtocolError, ResourceNotFoundError, ResourceTemplate } from "../deps.ts";
import type { Logger } from "../log.ts";
import { priceCatalog } from "../policy/estimate.ts";
import { maskBody, redactSecrets } from "../secrets.ts";
import {
  getEndpoint,
  getPod,
  getTemplate,
  listEndpoints,
  listGpuTypes,
  listNetworkVolumes,
  listPods,
  listTemplates,
  RunpodApiError,
  type RunpodClient,
} from "../runpod/mod.ts";
import { RESOURCE_ID } from "../tools/_args.ts";
import { accountView, readAccountSpend } from "../tools/billing.ts";
import { toRow as gpuRow } from "../tools/catalog.ts";
import { errorToToolResult } from "../tools/errors.ts";
import type { Clock } from "../tools/mod.ts";
import { round4 } from "../policy/estimate.ts";
import { podDetail, podRow } from "../tools/pods.ts";
import { alwaysOnCost, endpointDetail, endpointRow } from "../tools/serverless.ts";
import { templateDetail, templateRow } from "../tools/templates.ts";
import { volumeRow } from "../tools/volumes.ts";
import { PodWatcher } from "./_watch.ts";

export { DEFAULT_POLL_INTERVAL_MS, MAX_WATCHED_PODS, MIN_POLL_INTERVAL_MS } from "./_watch.ts";

/** What resources need from the outside world. */
export interface ResourceDeps {
  runpod: RunpodClient;
  logger: Logger;
  /** Accepted for symmetry with the tools; polling runs on a real interval or on `pollOnce()`. */
  clock?: Clock;
}

/** Options for {@linkcode registerResources}. */
export interface RegisterResourcesOptions {
  /** Time between polls of subscribed pods, ms. Default 15000, at least 2000. */
  pollIntervalMs?: number;
  /** Show secret env values unmasked. Default false. */
  showSecrets?: boolean;
  /** Extra strings to scrub from error texts (the API key). */
  secrets?: readonly string[];
  /**
   * Whether `resources/subscribe` is offered: only on a 2025-era connection, which can carry the
   * updates. A server answering one stateless HTTP request could not, and 2026-era clients listen
   * with `subscriptions/listen`, which the serving entry answers. Default true.
   */
  subscriptions?: boolean;
  /**
   * 2026 era: declare `resources.subscribe`, so the serving entry honours listen streams that
   * name `runpod://pods/{pod_id}` URIs; the app's pod status feed publishes their changes.
   */
  listenUpdates?: boolean;
}

/** Control over the subscription poller that {@linkcode registerResources} starts. */
export interface ResourceHandle {
  /** Polls every subscribed pod once now (tests drive ticks with this); a no-op with none. */
  pollOnce(): Promise<void>;
  /** How many resource subscriptions are active. */
  activeSubscriptions(): number;
  /** Drops all subscriptions and stops the timer. */
  close(): void;
}

/** MIME type of every resource. */
export const RESOURCE_MIME_TYPE = "application/json";

// JSON-RPC codes.
const INVALID_PARAMS = -32602;
const INTERNAL_ERROR = -32603;

const POD_URI = /^runpod:\/\/pods\/([^/?#]+)$/;

type Contents = { contents: { uri: string; mimeType: string; text: string }[] };

/**
 * Thrown for a 404 so the caller words it for the resource that was asked for: the SDK's
 * resource-not-found error (code -32602 with the URI as data, on every protocol revision).
 */
function notFoundError(uri: string, action: string, error: unknown, hint: string): unknown {
  if (!(error instanceof RunpodApiError) || error.status !== 404) return error;
  return new ResourceNotFoundError(uri, `Cannot ${action}: ${hint}`);
}

/** Any other failure, worded by the tools' one error mapper (secrets scrubbed). */
function toMcpError(
  action: string,
  error: unknown,
  secrets: readonly string[],
): ProtocolError {
  if (error instanceof ProtocolError) return error;
  if (error instanceof RangeError) return new ProtocolError(INVALID_PARAMS, error.message);
  const first = errorToToolResult(error, secrets).content[0];
  const text = first && first.type === "text" ? first.text : String(error);
  return new ProtocolError(INTERNAL_ERROR, `Cannot ${action}: ${text}`);
}

function idOf(
  variables: Record<string, string | string[]>,
  name: string,
  uri: string,
  what: string,
): string {
  const value = variables[name];
  const id = typeof value === "string" ? value : "";
  if (!RESOURCE_ID.test(id) || id.length > 64) {
    throw new ProtocolError(
      INVALID_PARAMS,
      `Cannot read ${uri}: a ${what} id has only letters, digits, - and _`,
    );
  }
  return id;
}

function startsOrContains(
  rows: readonly { id: string; name: string }[],
  value: string,
): string[] {
  const needle = value.toLowerCase();
  const byId = rows.filter((r) => r.id.toLowerCase().startsWith(needle)).map((r) => r.id);
  const byName = rows.filter((r) => !byId.includes(r.id) && r.name.toLowerCase().includes(needle))
    .map((r) => r.id);
  return [...byId, ...byName];
}

/**
 * Registers every `runpod://` resource on `server`, declares the `resources.subscribe`
 * capability and handles `resources/subscribe` for `runpod://pods/{pod_id}`. Call it before
 * `server.connect`.
 *
 * @example
 * ```ts
 * const resources = registerResources(server, { runpod, logger }, { pollIntervalMs: 15_000 });
 * // … on shutdown:
 * resources.close();
 * ```
 */
export function registerResources(
  server: McpServer,
  deps: ResourceDeps,
  options: RegisterResourcesOptions = {},
): ResourceHandle {
  if (server.isConnected()) {
    throw new Error("Cannot register resources: the server is already connected");
  }
  const { runpod, logger } = deps;
  const showSecrets = options.showSecrets ?? false;
  const secrets = options.secrets ?? [];
  // Every resource text, name and description leaves through these, like tool results do.
  const mask = (data: unknown) => showSecrets ? data : maskBody(data, secrets);
  const text = (value: string) => showSecrets ? value : redactSecrets(value, secrets);

  const read = async (uri: URL, load: () => Promise<unknown>): Promise<Contents> => {
    let data: unknown;
    try {
      data = await load();
    } catch (error) {
      throw toMcpError(`read ${uri.href}`, error, secrets);
    }
    return {
      contents: [{
        uri: uri.href,
        mimeType: RESOURCE_MIME_TYPE,
        text: JSON.stringify(mask(data)),
      }],
    };
  };

  // Listing and completion are conveniences: a failure (say, a key without serverless scope)
  // must not break resources/list as a whole, so it is logged and answered with nothing.
  const safely = async <T>(what: string, fallback: T, load: () => Promise<T>): Promise<T> => {
    try {
      return await load();
    } catch (error) {
      logger.warn(`cannot ${what}`, {
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      return fallback;
    }
  };

  const json = (title: string, description: string) => ({
    title,
    description,
    mimeType: RESOURCE_MIME_TYPE,
  });

  server.registerResource(
    "gpus",
    "runpod://gpus",
    json(
      "GPU types",
      "GPU types with VRAM (GB), prices in USD per GPU-hour (secure, community, serverless) and SECURE-cloud pod stock for 1 GPU, cheapest secure first",
    ),
    (uri, ctx) =>
      read(uri, async () => {
        const gpus = await listGpuTypes(runpod, {
          include: "AVAILABILITY",
          product: "POD",
          count: 1,
          cloud: "SECURE",
        }, ctx.mcpReq.signal);
        const rows = gpus.map((g) => gpuRow(g, "SECURE", true)).sort((a, b) =>
          (a.secure_price ?? Infinity) - (b.secure_price ?? Infinity) || a.id.localeCompare(b.id)
        );
        return {
          gpus: rows,
          count: rows.length,
          availability_basis: "SECURE cloud pods, 1 GPU",
          price_unit: "USD per GPU-hour",
        };
      }),
  );

  server.registerResource(
    "pods",
    "runpod://pods",
    json(
      "Pods",
      "Every pod: status, GPU, cost in USD/hour, ports and ssh command, with the total burn",
    ),
    (uri, ctx) =>
      read(uri, async () => {
        const rows = (await listPods(runpod, ctx.mcpReq.signal)).map(podRow);
        const total = round4(rows.reduce((sum, r) => sum + r.cost_per_hour, 0));
        return { pods: rows, count: rows.length, total_cost_per_hour: total };
      }),
  );

  server.registerResource(
    "pod",
    new ResourceTemplate("runpod://pods/{pod_id}", {
      list: (ctx) =>
        safely("list pods", { resources: [] }, async () => ({
          resources: (await listPods(runpod, ctx.mcpReq.signal)).map((pod) => ({
            uri: `runpod://pods/${pod.id}`,
            name: text(pod.name),
            title: text(`Pod ${pod.name}`),
            description: `${pod.status}, ${pod.gpu ? `${pod.gpu.count}× ${pod.gpu.id}` : "CPU"}, $${
              pod.cost.toFixed(2)
            }/h`,
            mimeType: RESOURCE_MIME_TYPE,
          })),
        })),
      complete: {
        pod_id: (value) =>
          safely(
            "complete pod ids",
            [],
            async () => startsOrContains(await listPods(runpod), value),
          ),
      },
    }),
    json(
      "Pod",
      "One pod in detail: status, allowed actions, cost in USD/hour, uptime, ports, ssh, image, volume, env (secrets masked). Subscribe to be told when its status changes",
    ),
    (uri, variables, ctx) =>
      read(uri, async () => {
        const id = idOf(variables, "pod_id", uri.href, "pod");
        try {
          return podDetail(await getPod(runpod, id, ctx.mcpReq.signal), showSecrets);
        } catch (error) {
          throw notFoundError(
            uri.href,
            `read ${uri.href}`,
            error,
            `RunPod has no pod ${id}; runpod://pods lists them`,
          );
        }
      }),
  );

  server.registerResource(
    "endpoints",
    "runpod://endpoints",
    json(
      "Serverless endpoints",
      "Every serverless endpoint: type, GPU pools or CPU, worker range and the estimated always-on cost in USD/hour",
    ),
    (uri, ctx) =>
      read(uri, async () => {
        const catalog = priceCatalog(runpod, ctx.mcpReq.signal);
        const rows = [];
        for (const ep of await listEndpoints(runpod, ctx.mcpReq.signal)) {
          rows.push(endpointRow(ep, await alwaysOnCost(ep, catalog)));
        }
        const total = round4(rows.reduce((sum, r) => sum + (r.always_on_cost_per_hour ?? 0), 0));
        return { endpoints: rows, count: rows.length, total_always_on_cost_per_hour: total };
      }),
  );

  server.registerResource(
    "endpoint",
    new ResourceTemplate("runpod://endpoints/{endpoint_id}", {
      list: (ctx) =>
        safely("list endpoints", { resources: [] }, async () => ({
          resources: (await listEndpoints(runpod, ctx.mcpReq.signal)).map((ep) => ({
            uri: `runpod://endpoints/${ep.id}`,
            name: text(ep.name),
            title: text(`Endpoint ${ep.name}`),
            description: `${ep.type ?? "QUEUE"}, workers ${ep.workers.min}–${ep.workers.max}`,
            mimeType: RESOURCE_MIME_TYPE,
          })),
        })),
      complete: {
        endpoint_id: (value) =>
          safely(
            "complete endpoint ids",
            [],
            async () => startsOrContains(await listEndpoints(runpod), value),
          ),
      },
    }),
    json(
      "Serverless endpoint",
      "One serverless endpoint: request URLs, compute, scaling, timeouts (seconds), env (secrets masked) and the estimated always-on cost in USD/hour",
    ),
    (uri, variables, ctx) =>
      read(uri, async () => {
        const id = idOf(variables, "endpoint_id", uri.href, "endpoint");
        try {
          const ep = await getEndpoint(runpod, id, ctx.mcpReq.signal);
          const cost = await alwaysOnCost(ep, priceCatalog(runpod, ctx.mcpReq.signal));
          return endpointDetail(ep, cost, showSecrets);
        } catch (error) {
          throw notFoundError(
            uri.href,
            `read ${uri.href}`,
            error,
            `RunPod has no endpoint ${id}; runpod://endpoints lists them`,
          );
        }
      }),
  );

  server.registerResource(
    "templates",
    "runpod://templates",
    json(
      "Templates",
      "The account's own templates: image, category, pod or serverless, container disk (GB) and ports",
    ),
    (uri, ctx) =>
      read(uri, async () => {
        const rows = (await listTemplates(runpod, ctx.mcpReq.signal)).map(templateRow);
        return { templates: rows, count: rows.length };
      }),
  );

  server.registerResource(
    "template",
    new ResourceTemplate("runpod://templates/{template_id}", {
      list: (ctx) =>
        safely("list templates", { resources: [] }, async () => ({
          resources: (await listTemplates(runpod, ctx.mcpReq.signal)).map((t) => ({
            uri: `runpod://templates/${t.id}`,
            name: text(t.name),
            title: text(`Template ${t.name}`),
            description: text(`${t.serverless ? "serverless" : "pod"}, ${t.image}`),
            mimeType: RESOURCE_MIME_TYPE,
          })),
        })),
      complete: {
        template_id: (value) =>
          safely(
            "complete template ids",
            [],
            async () => startsOrContains(await listTemplates(runpod), value),
          ),
      },
    }),
    json(
      "Template",
      "One template (own or public): image, disk and volume (GB), ports, env (secrets masked), docker args, registry credential",
    ),
    (uri, variables, ctx) =>
      read(uri, async () => {
        const id = idOf(variables, "template_id", uri.href, "template");
        try {
          return templateDetail(await getTemplate(runpod, id, ctx.mcpReq.signal), showSecrets);
        } catch (error) {
          throw notFoundError(
            uri.href,
            `read ${uri.href}`,
            error,
            `RunPod has no template ${id}; runpod://templates lists yours`,
          );
        }
      }),
  );

  server.registerResource(
    "network-volumes",
    "runpod://network-volumes",
    json(
      "Network volumes",
      "Every network volume: size (GB), data center, tier and estimated storage cost in USD/month",
    ),
    (uri, ctx) =>
      read(uri, async () => {
        const rows = (await listNetworkVolumes(runpod, ctx.mcpReq.signal)).map(volumeRow);
        const total = Math.round(rows.reduce((sum, r) => sum + r.monthly_cost_usd, 0) * 100) / 100;
        return { volumes: rows, count: rows.length, total_monthly_cost_usd: total };
      }),
  );

  server.registerResource(
    "account",
    "runpod://account",
    json(
      "Account",
      "Credit balance (USD), what the account burns now (USD/hour, pods still starting included) and the runway in hours, as get_balance shows them",
    ),
    (uri, ctx) =>
      read(uri, async () => accountView(await readAccountSpend(runpod, ctx.mcpReq.signal))),
  );

  const watcher = new PodWatcher({
    runpod,
    logger,
    intervalMs: options.pollIntervalMs,
    onChange: async (uri) => {
      if (server.isConnected()) await server.server.sendResourceUpdated({ uri });
    },
  });

  if (options.listenUpdates) {
    server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  }
  if (options.subscriptions === false) {
    return {
      pollOnce: () => watcher.pollOnce(),
      activeSubscriptions: () => watcher.size,
      close: () => watcher.close(),
    };
  }
  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  server.server.setRequestHandler("resources/subscribe", async (request, ctx) => {
    const uri = request.params.uri;
    const match = POD_URI.exec(uri);
    const id = match?.[1] ?? "";
    if (!match || !RESOURCE_ID.test(id) || id.length > 64) {
      throw new ProtocolError(
        INVALID_PARAMS,
        `Cannot subscribe to ${uri}: only runpod://pods/{pod_id} resources send updates (on status changes); read the others again to refresh them`,
      );
    }
    try {
      await watcher.subscribe(uri, id, ctx.mcpReq.signal);
    } catch (error) {
      throw toMcpError(
        `subscribe to ${uri}`,
        notFoundError(
          uri,
          `subscribe to ${uri}`,
          error,
          `RunPod has no pod ${id}; runpod://pods lists them`,
        ),
        secrets,
      );
    }
    logger.debug("resource subscribed", { uri, subscriptions: watcher.size });
    return {};
  });
  server.server.setRequestHandler("resources/unsubscribe", (request) => {
    watcher.unsubscribe(request.params.uri);
    logger.debug("resource unsubscribed", { uri: request.params.uri, subscriptions: watcher.size });
    return {};
  });

  // Subscriptions belong to the connection: when it closes, polling stops.
  const previousOnClose = server.server.onclose;
  server.server.onclose = () => {
    watcher.reset();
    previousOnClose?.();
  };

  return {
    pollOnce: () => watcher.pollOnce(),
    activeSubscriptions: () => watcher.size,
    close: () => watcher.close(),
  };
}
