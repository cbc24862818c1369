/**
 * What the account burns now, in USD/hour, counted the one way the guard and the money tools
 * share; and a ledger of the billable writes this process has in flight, so a total spend cap
 * also counts creates RunPod has not answered yet.
 *
 * RunPod's own figure (GraphQL `myself.currentSpendPerHr`) counts RUNNING pods only, so a burst
 * of creates passes a cap checked against it while the pods are still PROVISIONING. The count
 * here adds what is starting, what is always on and what is stored.
 *
 * @module
 */

import {
  type Endpoint,
  getMyself,
  listEndpoints,
  listNetworkVolumes,
  listPods,
  type NetworkVolume,
  type Pod,
  type RunpodClient,
} from "../runpod/mod.ts";
import {
  endpointHourlyCosts,
  HOURS_PER_MONTH,
  networkVolumeMonthlyCost,
  podHourlyPrice,
  type PriceCatalog,
  round4,
  storageCost,
} from "./estimate.ts";

// Stopped pods bill for their volume disk only; a TERMINATED pod bills nothing. Every other
// status (RUNNING, PROVISIONING, STARTING, or one RunPod adds later) counts as holding compute.
const STOPPED_POD_STATUSES = new Set(["EXITED", "ERROR"]);

/** Where a figure came from: RunPod's own per-pod `cost`, or a list price this server assumes. */
export type PriceSource = "runpod" | "list";

/** One thing that costs money now. `usdPerHour` is null when it bills but has no price here. */
export type BurnItem =
  | { kind: "pod"; pod: Pod; usdPerHour: number | null; priceSource: PriceSource | null }
  | { kind: "stopped_pod"; pod: Pod; usdPerHour: number; volumeGb: number }
  | { kind: "endpoint"; endpoint: Endpoint; usdPerHour: number | null }
  | { kind: "network_volume"; volume: NetworkVolume; usdPerHour: number; usdPerMonth: number };

/** The account's burn at one moment, USD/hour, with what makes it up. */
export interface Burn {
  /** The burn to use: the higher of {@linkcode Burn.computedUsdPerHour} and RunPod's figure. */
  usdPerHour: number;
  /** Sum of every priced item below. */
  computedUsdPerHour: number;
  /** RunPod's `currentSpendPerHr`; null when GraphQL could not be asked. */
  reportedUsdPerHour: number | null;
  /** Why RunPod's figure is missing, when it is. */
  reportedError: string | null;
  /** Pods holding compute, USD/hour per status, e.g. `{ RUNNING: 0.69, PROVISIONING: 1.38 }`. */
  podsByStatus: Record<string, number>;
  /** Subtotals, USD/hour, of the priced items by kind. */
  pods: number;
  stoppedPodVolumes: number;
  endpoints: number;
  networkVolumes: number;
  /** Every item that costs money, in listing order. */
  items: BurnItem[];
  /** False when some item bills but has no price here: the burn is then a lower bound. */
  complete: boolean;
  /** One sentence per unpriced item, saying what is missing. */
  missing: string[];
}

/** Options of {@linkcode accountBurn}. */
export interface AccountBurnOptions {
  /**
   * RunPod's `currentSpendPerHr` when the caller has just read it (with the balance, say), so
   * GraphQL is not asked twice; null when the caller could not read it. Omit to ask GraphQL.
   */
  reported?: number | null;
}

/**
 * Reads the account's pods, endpoints and network volumes and works out what it burns now.
 *
 * Counted, in USD/hour:
 * - pods RUNNING, PROVISIONING or STARTING (and any status RunPod adds later) at RunPod's `cost`
 *   for the pod, or at the catalog's list price when `cost` is 0, as it may be before RUNNING;
 * - EXITED or ERROR pods' volume disk at the list price for stopped storage;
 * - endpoints' always-on workers: workers_min × the dearest eligible serverless GPU price;
 * - network volumes: the monthly list price / {@linkcode HOURS_PER_MONTH}.
 *
 * The rule: the burn is max(this count, RunPod's own figure), never the lower, so each side
 * covers what the other misses (RunPod's figure leaves out starting pods; this count leaves out
 * workers scaled above workers_min). When an item cannot be priced (an unknown GPU type, say),
 * it adds nothing, `complete` is false and `missing` says why; callers that enforce a cap must
 * refuse rather than trust a lower bound. A failed GraphQL read is not incomplete: the count
 * stands alone and `reportedError` says why RunPod's figure is missing.
 *
 * @example
 * ```ts
 * const burn = await accountBurn(runpod, priceCatalog(runpod, signal), signal);
 * if (!burn.complete) throw new Error(`Cannot check the cap: ${burn.missing.join("; ")}`);
 * ```
 */
export async function accountBurn(
  runpod: RunpodClient,
  catalog: PriceCatalog,
  signal?: AbortSignal,
  options: AccountBurnOptions = {},
): Promise<Burn> {
  const [pods, endpoints, volumes, reported] = await Promise.all([
    // Cluster members bill like any pod but RunPod's default listing leaves them out.
    listPods(runpod, signal, { includeClusterPods: true }),
    listEndpoints(runpod, signal),
    listNetworkVolumes(runpod, signal),
    options.reported !== undefined
      ? { usd: options.reported, error: null }
      : readReported(runpod, signal),
  ]);
  const podItems = await Promise.all(pods.map((pod) => podBurn(pod, catalog)));
  const endpointItems = await Promise.all(
    endpoints.filter((ep) => ep.workers.min > 0).map((ep) => endpointBurn(ep, catalog)),
  );
  const items = [
    ...podItems.filter((item): item is BurnItem => item !== undefined),
    ...endpointItems,
    ...volumes.map(volumeBurn),
  ];
  return sumBurn(items, reported);
}

async function readReported(
  runpod: RunpodClient,
  signal: AbortSignal | undefined,
): Promise<{ usd: number | null; error: string | null }> {
  try {
    return { usd: (await getMyself(runpod, signal)).currentSpendPerHr, error: null };
  } catch (error) {
    // GraphQL is deprecated; the count stands without it, but never swallow a cancel.
    if (signal?.aborted) throw error;
    return { usd: null, error: error instanceof Error ? error.message : String(error) };
  }
}

async function podBurn(pod: Pod, catalog: PriceCatalog): Promise<BurnItem | undefined> {
  if (pod.status === "TERMINATED") return undefined;
  if (STOPPED_POD_STATUSES.has(pod.status)) {
    const gb = pod.mounts.persistent?.size ?? 0;
    if (gb <= 0) return undefined;
    const usdPerHour = storageCost("pod_volume_stopped", gb).usdPerHour;
    return { kind: "stopped_pod", pod, usdPerHour, volumeGb: gb };
  }
  if (pod.cost > 0) return { kind: "pod", pod, usdPerHour: pod.cost, priceSource: "runpod" };
  const price = await podHourlyPrice({
    ...(pod.gpu ? { gpu: { id: pod.gpu.id, count: pod.gpu.count ?? 1 } } : {}),
    ...(pod.cpu ? { cpu: pod.cpu } : {}),
    cloud: pod.cloud,
  }, catalog);
  return { kind: "pod", pod, usdPerHour: price, priceSource: price === null ? null : "list" };
}

async function endpointBurn(endpoint: Endpoint, catalog: PriceCatalog): Promise<BurnItem> {
  const { alwaysOn } = await endpointHourlyCosts(endpoint, catalog);
  return { kind: "endpoint", endpoint, usdPerHour: alwaysOn };
}

function volumeBurn(volume: NetworkVolume): BurnItem {
  const usdPerMonth = networkVolumeMonthlyCost(volume.size, volume.type);
  return {
    kind: "network_volume",
    volume,
    usdPerHour: round4(usdPerMonth / HOURS_PER_MONTH),
    usdPerMonth,
  };
}

function missingReason(item: BurnItem): string {
  if (item.kind === "pod") {
    const hw = item.pod.gpu?.id ?? item.pod.cpu?.id ?? "unknown hardware";
    return `pod ${item.pod.id} (${hw}, ${item.pod.status}): RunPod reports no cost and the catalog has no price for ${hw}`;
  }
  if (item.kind === "endpoint") {
    const hw = item.endpoint.gpu
      ? `GPU pools ${item.endpoint.gpu.pools.join(",")}`
      : `CPU ${(item.endpoint.cpu ?? []).map((c) => c.id).join(",")}`;
    return `endpoint ${item.endpoint.id}: ${item.endpoint.workers.min} always-on worker(s) but the catalog has no price for ${hw}`;
  }
  return `${item.kind} has no price`;
}

function sumBurn(
  items: BurnItem[],
  reported: { usd: number | null; error: string | null },
): Burn {
  const total = (kind: BurnItem["kind"]) =>
    round4(items.reduce((s, i) => s + (i.kind === kind ? i.usdPerHour ?? 0 : 0), 0));
  const podsByStatus: Record<string, number> = {};
  for (const item of items) {
    if (item.kind !== "pod" || item.usdPerHour === null) continue;
    const status = item.pod.status;
    podsByStatus[status] = round4((podsByStatus[status] ?? 0) + item.usdPerHour);
  }
  const parts = {
    pods: total("pod"),
    stoppedPodVolumes: total("stopped_pod"),
    endpoints: total("endpoint"),
    networkVolumes: total("network_volume"),
  };
  const computed = round4(
    parts.pods + parts.stoppedPodVolumes + parts.endpoints + parts.networkVolumes,
  );
  const missing = items.filter((i) => i.usdPerHour === null).map(missingReason);
  return {
    usdPerHour: round4(Math.max(computed, reported.usd ?? 0)),
    computedUsdPerHour: computed,
    reportedUsdPerHour: reported.usd,
    reportedError: reported.error,
    podsByStatus,
    ...parts,
    items,
    complete: missing.length === 0,
    missing,
  };
}

// ---------------------------------------------------------------------------------------------
// Reservations for billable writes in flight

/** The part of a burn the ledger reads; a full {@linkcode Burn} fits. */
export interface BurnFigure {
  usdPerHour: number;
  complete: boolean;
  missing: readonly string[];
}

/** A held share of the cap for one billable write in flight. */
export interface Reservation {
  /** USD/hour held. */
  readonly usdPerHour: number;
  /** True once {@linkcode Reservation.release} has run. */
  readonly released: boolean;
  /** Gives the share back; call when the write settles, either way. Safe to call twice. */
  release(): void;
}

/** The facts behind a refusal, for the guard's message. */
export interface SpendRefusal<B extends BurnFigure> {
  /** `over-cap`: burn + reserved + adding > cap; `incomplete`: the burn is not fully priced. */
  reason: "over-cap" | "incomplete";
  burn: B;
  /** USD/hour already held by other writes in flight. */
  reservedUsdPerHour: number;
  /** USD/hour this write would add. */
  addingUsdPerHour: number;
  capUsdPerHour: number;
}

/** What {@linkcode SpendLedger.reserve} answers. */
export type ReserveResult<B extends BurnFigure> =
  | { ok: true; reservation: Reservation; burn: B; reservedUsdPerHour: number }
  | ({ ok: false } & SpendRefusal<B>);

/**
 * Holds the USD/hour of billable writes this process has sent but RunPod has not answered, so
 * a total cap counts them. Every {@linkcode SpendLedger.reserve} runs alone, in call order, on
 * one chain of promises: read the burn, add what is held, then refuse or hold. Two parallel
 * creates therefore cannot both fit under the last dollar.
 *
 * Between RunPod creating a pod and the write settling, the pod is both listed and held, so it
 * counts twice for a moment; and a write released while a burn is being read still counts for
 * that read. Both errors are on the safe side.
 *
 * @example
 * ```ts
 * const result = await processSpendLedger.reserve(0.69, 2, () => accountBurn(runpod, catalog));
 * if (!result.ok) return refuse(result);
 * try {
 *   await send();
 * } finally {
 *   result.reservation.release();
 * }
 * ```
 */
export class SpendLedger {
  #held = new Set<Reservation>();
  #tail: Promise<unknown> = Promise.resolve();

  /** USD/hour held by writes in flight now. */
  get reservedUsdPerHour(): number {
    return sumHeld(this.#held);
  }

  /**
   * Waits its turn, reads `burnNow()`, and holds `usdPerHour` when burn + held + it ≤ `cap`.
   * Refuses when the sum is above the cap or the burn is not fully priced. Rejects, holding
   * nothing, when `burnNow` rejects or a figure is not a finite rate ≥ 0; the next call still
   * gets its turn.
   */
  reserve<B extends BurnFigure>(
    usdPerHour: number,
    capUsdPerHour: number,
    burnNow: () => Promise<B>,
  ): Promise<ReserveResult<B>> {
    for (const [what, n] of [["rate", usdPerHour], ["cap", capUsdPerHour]] as const) {
      if (!Number.isFinite(n) || n < 0) {
        return Promise.reject(
          new RangeError(`Cannot reserve spend: the ${what} ${n} is not a USD/hour figure`),
        );
      }
    }
    const turn = this.#tail.then(() => this.#decide(usdPerHour, capUsdPerHour, burnNow));
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async #decide<B extends BurnFigure>(
    adding: number,
    cap: number,
    burnNow: () => Promise<B>,
  ): Promise<ReserveResult<B>> {
    // A write released while the burn is being read may have created something the read missed,
    // so whatever was held when the read began still counts.
    const counted = new Set(this.#held);
    const burn = await burnNow();
    for (const r of this.#held) counted.add(r);
    const reserved = sumHeld(counted);
    const facts = {
      burn,
      reservedUsdPerHour: reserved,
      addingUsdPerHour: adding,
      capUsdPerHour: cap,
    };
    if (!burn.complete) return { ok: false, reason: "incomplete", ...facts };
    if (round4(burn.usdPerHour + reserved + adding) > cap) {
      return { ok: false, reason: "over-cap", ...facts };
    }
    return { ok: true, reservation: this.#hold(adding), burn, reservedUsdPerHour: reserved };
  }

  #hold(usdPerHour: number): Reservation {
    const held = this.#held;
    let released = false;
    const reservation: Reservation = {
      usdPerHour,
      get released() {
        return released;
      },
      release() {
        released = true;
        held.delete(reservation);
      },
    };
    held.add(reservation);
    return reservation;
  }
}

function sumHeld(held: Iterable<Reservation>): number {
  let sum = 0;
  for (const r of held) sum += r.usdPerHour;
  return round4(sum);
}

/** The one ledger of this process; every server instance's guard should share it. */
export const processSpendLedger: SpendLedger = new SpendLedger();
