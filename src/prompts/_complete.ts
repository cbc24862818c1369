/**
 * Completions for prompt arguments whose values come from the RunPod account: pod, endpoint and
 * network volume ids, GPU type names and data center ids.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import {
  type GpuType,
  listDataCenters,
  listEndpoints,
  listGpuTypes,
  listNetworkVolumes,
  listPods,
  type RunpodClient,
} from "../runpod/mod.ts";

/** At most this many suggestions per completion. */
export const MAX_COMPLETIONS = 20;

/** How long one account listing serves completions; clients ask on every keystroke. */
export const COMPLETION_CACHE_MS = 10_000;

/** A bound on one completion's RunPod requests, retries included. */
export const COMPLETION_TIMEOUT_MS = 4_000;

/** What the completers need. */
export interface CompleterDeps {
  runpod: RunpodClient;
  logger: Logger;
  /** Milliseconds since the epoch, for the cache; default `Date.now`. */
  now?: () => number;
}

/** One candidate: the value to insert and the other names it may be typed as. */
export interface Candidate {
  value: string;
  aliases: string[];
  /** A matching alias is itself the suggestion (a GPU's full id), not `value`. */
  aliasIsValue?: boolean;
}

/** Completion functions, one per kind of RunPod value; each resolves to at most 20 values. */
export interface Completers {
  podIds(prefix: string | undefined): Promise<string[]>;
  endpointIds(prefix: string | undefined): Promise<string[]>;
  networkVolumeIds(prefix: string | undefined): Promise<string[]>;
  gpuTypes(prefix: string | undefined): Promise<string[]>;
  dataCenterIds(prefix: string | undefined): Promise<string[]>;
  /**
   * The GPU catalog rows, from the same short-lived cache, for checking a typed GPU name.
   * Unlike the completions it throws when RunPod fails.
   */
  gpuCatalog(): Promise<GpuType[]>;
}

/**
 * Values whose value or an alias starts with `prefix` (ignoring case), in listing order, capped
 * at {@linkcode MAX_COMPLETIONS}. A pod found by its name still suggests its id.
 */
export function filterByPrefix(candidates: readonly Candidate[], prefix: string): string[] {
  const wanted = prefix.trim().toLowerCase();
  const out: string[] = [];
  for (const candidate of candidates) {
    const matches = (name: string) => name.toLowerCase().startsWith(wanted);
    let suggestion: string | undefined = matches(candidate.value) ? candidate.value : undefined;
    const alias = suggestion === undefined ? candidate.aliases.find(matches) : undefined;
    if (alias !== undefined) suggestion = candidate.aliasIsValue ? alias : candidate.value;
    if (suggestion === undefined || out.includes(suggestion)) continue;
    out.push(suggestion);
    if (out.length >= MAX_COMPLETIONS) break;
  }
  return out;
}

/** Creates the completers. Failures are logged and answered with no suggestions, never thrown. */
export function createCompleters(deps: CompleterDeps): Completers {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { at: number; candidates: Candidate[] }>();
  let gpuRows: { at: number; rows: Promise<GpuType[]> } | undefined;

  function gpuCatalog(): Promise<GpuType[]> {
    if (!gpuRows || now() - gpuRows.at >= COMPLETION_CACHE_MS) {
      const rows = listGpuTypes(deps.runpod, {}, AbortSignal.timeout(COMPLETION_TIMEOUT_MS))
        .then((all) => all.filter((g) => g.id !== "unknown"));
      const entry = { at: now(), rows };
      gpuRows = entry;
      // A failure is not cached: the next request asks again.
      rows.catch(() => {
        if (gpuRows === entry) gpuRows = undefined;
      });
    }
    return gpuRows.rows;
  }

  function completer(
    kind: string,
    load: (signal: AbortSignal) => Promise<Candidate[]>,
  ): (prefix: string | undefined) => Promise<string[]> {
    return async (prefix) => {
      try {
        const cached = cache.get(kind);
        let candidates = cached && now() - cached.at < COMPLETION_CACHE_MS
          ? cached.candidates
          : undefined;
        if (!candidates) {
          candidates = await load(AbortSignal.timeout(COMPLETION_TIMEOUT_MS));
          cache.set(kind, { at: now(), candidates });
        }
        return filterByPrefix(candidates, prefix ?? "");
      } catch (error) {
        deps.logger.warn("prompt completion failed", {
          kind,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        return [];
      }
    };
  }

  const catalog = deps.runpod;
  return {
    podIds: completer(
      "pods",
      async (signal) =>
        (await listPods(catalog, signal)).map((p) => ({ value: p.id, aliases: [p.name] })),
    ),
    endpointIds: completer(
      "endpoints",
      async (signal) =>
        (await listEndpoints(deps.runpod, signal)).map((e) => ({
          value: e.id,
          aliases: [e.name],
        })),
    ),
    networkVolumeIds: completer(
      "network volumes",
      async (signal) =>
        (await listNetworkVolumes(deps.runpod, signal)).map((v) => ({
          value: v.id,
          aliases: [v.name],
        })),
    ),
    gpuTypes: completer("GPU types", async () =>
      // People type the short name ("RTX 4090"); typing the full id suggests the full id.
      (await gpuCatalog()).map((g) => ({ value: g.name, aliases: [g.id], aliasIsValue: true }))),
    dataCenterIds: completer(
      "data centers",
      async (signal) =>
        (await listDataCenters(catalog, {}, signal)).map((dc) => ({
          value: dc.id,
          aliases: [dc.name],
        })),
    ),
    gpuCatalog,
  };
}
