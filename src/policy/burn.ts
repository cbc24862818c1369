/**
 * What the account burns now, in USD/hour, counted the one way the guard and the money tools
 * share; and a ledger of the billable writes this process has in flight, so a total spend cap
 * also counts creates RunPod has not answered yet.
 *
 * RunPod's own figure (GraphQL `myself.currentSpendPerHr`) counts RUNNING pods only, so a burst
 * of creates passes a cap checked against it while the pods are still PROVISIONING. The count
 * here adds what is starting, what is always on and what is stored.
 *
 * The ledger holds in-flight writes in this process by default; given a {@linkcode SharedState}
 * (Redis), every replica sharing it holds them in one place under one lock, so replicas together
 * stay under the cap too.
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
import type { SharedState } from "../state/types.ts";

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
  /**
   * `over-cap`: burn + reserved + adding > cap; `incomplete`: the burn is not fully priced;
   * `state-unavailable`: the shared ledger (Redis) failed or its lock could not be taken, so
   * what other replicas have in flight is unknown; {@linkcode SpendRefusal.detail} says why.
   */
  reason: "over-cap" | "incomplete" | "state-unavailable";
  burn: B;
  /**
   * USD/hour already held by other writes in flight. With `state-unavailable`, only those of
   * this process, the ones it still knows.
   */
  reservedUsdPerHour: number;
  /** USD/hour this write would add. */
  addingUsdPerHour: number;
  capUsdPerHour: number;
  /** With `state-unavailable`: what failed, naming the store but never its credentials. */
  detail?: string;
}

/** What {@linkcode SpendLedger.reserve} answers. */
export type ReserveResult<B extends BurnFigure> =
  | { ok: true; reservation: Reservation; burn: B; reservedUsdPerHour: number }
  | ({ ok: false } & SpendRefusal<B>);

/** Where a {@linkcode SpendLedger} keeps its holds when replicas share one cap. */
export interface SpendLedgerOptions {
  /** The store every replica shares. */
  state: SharedState;
  /** Which cap the holds count against; replicas with the same scope share holds and a lock. */
  scope: string;
  /**
   * How long the spend lock lasts if its holder dies, ms. It must outlast a burn read; a check
   * that takes longer is refused. Default 2 minutes.
   */
  lockTtlMs?: number;
  /** How long to wait for the spend lock, ms. Default: the lock's ttl. */
  lockWaitMs?: number;
  /** How long a hold counts if its write never settles (a replica died), ms. Default 10 min. */
  holdTtlMs?: number;
  /** Told when a released hold could not be removed; it then counts until it expires. */
  onReleaseError?: (message: string) => void;
}

const DEFAULT_LOCK_TTL_MS = 2 * 60_000;
const DEFAULT_HOLD_TTL_MS = 10 * 60_000;

/** The facts of one reserve call, shared by both ways of deciding. */
interface Ask<B extends BurnFigure> {
  adding: number;
  cap: number;
  burnNow: () => Promise<B>;
}

/**
 * Holds the USD/hour of billable writes sent but not answered by RunPod, so a total cap counts
 * them. Every {@linkcode SpendLedger.reserve} of this process runs alone, in call order, on one
 * chain of promises: read the burn, add what is held, then refuse or hold. Two parallel creates
 * therefore cannot both fit under the last dollar.
 *
 * Given {@linkcode SpendLedgerOptions}, the holds live in the shared state and each decision
 * runs under its lock `spend:<scope>`, so this holds across replicas too. If the state fails
 * (Redis down, the lock busy past its wait), the reservation is refused with reason
 * `state-unavailable`: an unknown in-flight spend is never taken as zero.
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
  readonly #shared: Required<Omit<SpendLedgerOptions, "onReleaseError">> | undefined;
  readonly #onReleaseError: ((message: string) => void) | undefined;

  /** Without options, holds live in this process only, as a single replica needs. */
  constructor(options?: SpendLedgerOptions) {
    if (options) {
      const lockTtlMs = options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
      this.#shared = {
        state: options.state,
        scope: options.scope,
        lockTtlMs,
        lockWaitMs: options.lockWaitMs ?? lockTtlMs,
        holdTtlMs: options.holdTtlMs ?? DEFAULT_HOLD_TTL_MS,
      };
    }
    this.#onReleaseError = options?.onReleaseError;
  }

  /** USD/hour held by this process's writes in flight now (other replicas' are not counted). */
  get reservedUsdPerHour(): number {
    return sumHeld(this.#held);
  }

  /**
   * Waits its turn, reads `burnNow()`, and holds `usdPerHour` when burn + held + it ≤ `cap`.
   * Refuses when the sum is above the cap, the burn is not fully priced, or the shared state
   * fails. Rejects, holding nothing, when `burnNow` rejects or a figure is not a finite rate ≥ 0;
   * the next call still gets its turn.
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
    const ask = { adding: usdPerHour, cap: capUsdPerHour, burnNow };
    const turn = this.#tail.then(() => this.#shared ? this.#decideShared(ask) : this.#decide(ask));
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async #decide<B extends BurnFigure>({ adding, cap, burnNow }: Ask<B>): Promise<ReserveResult<B>> {
    // A write released while the burn is being read may have created something the read missed,
    // so whatever was held when the read began still counts.
    const counted = new Set(this.#held);
    const burn = await burnNow();
    for (const r of this.#held) counted.add(r);
    const reserved = sumHeld(counted);
    const refusal = judge(burn, reserved, adding, cap);
    if (refusal) return refusal;
    return { ok: true, reservation: this.#hold(adding), burn, reservedUsdPerHour: reserved };
  }

  /**
   * The same decision under the shared lock. Holds are summed before the burn is read, the
   * shared form of the in-process snapshot: under the lock no hold is added, so every hold
   * released during the read was already summed.
   */
  async #decideShared<B extends BurnFigure>(ask: Ask<B>): Promise<ReserveResult<B>> {
    const { state, scope, lockTtlMs, lockWaitMs } = this.#shared!;
    let burn: B | undefined;
    let burnFailure: { error: unknown } | undefined;
    let decided: ReserveResult<B> | undefined;
    const readBurn = async () => {
      try {
        return burn = await ask.burnNow();
      } catch (error) {
        burnFailure = { error };
        throw error;
      }
    };
    try {
      return await state.withLock(`spend:${scope}`, lockTtlMs, lockWaitMs, async () => {
        const since = Date.now();
        const reserved = round4(await state.sumHolds(scope));
        const read = await readBurn();
        return decided = judge(read, reserved, ask.adding, ask.cap) ??
          await this.#holdShared(ask.adding, read, reserved, since);
      });
    } catch (error) {
      if (burnFailure) throw burnFailure.error;
      // Decided under the lock; only letting it go failed, and it expires by itself.
      if (decided) return decided;
      // The refusal carries the burn like every other; it is read only if the lock never let it.
      return {
        ok: false,
        reason: "state-unavailable",
        detail: error instanceof Error ? error.message : String(error),
        burn: burn ?? await ask.burnNow(),
        reservedUsdPerHour: this.reservedUsdPerHour,
        addingUsdPerHour: ask.adding,
        capUsdPerHour: ask.cap,
      };
    }
  }

  async #holdShared<B extends BurnFigure>(
    adding: number,
    burn: B,
    reserved: number,
    since: number,
  ): Promise<ReserveResult<B>> {
    const { state, scope, lockTtlMs, holdTtlMs } = this.#shared!;
    const took = Date.now() - since;
    if (took >= lockTtlMs) {
      throw new Error(
        `Cannot hold spend: the check took ${took} ms, longer than the spend lock lasts (${lockTtlMs} ms), so another replica may have decided meanwhile; retry`,
      );
    }
    const id = crypto.randomUUID();
    try {
      await state.addHold(scope, id, adding, holdTtlMs);
    } catch (error) {
      // The hold may have landed although the answer was lost; take it back if we can.
      state.removeHold(scope, id).catch(() => undefined);
      throw error;
    }
    return { ok: true, reservation: this.#hold(adding, id), burn, reservedUsdPerHour: reserved };
  }

  #hold(usdPerHour: number, sharedId?: string): Reservation {
    const held = this.#held;
    const unshare = () => this.#unshare(sharedId);
    let released = false;
    const reservation: Reservation = {
      usdPerHour,
      get released() {
        return released;
      },
      release() {
        if (released) return;
        released = true;
        held.delete(reservation);
        unshare();
      },
    };
    held.add(reservation);
    return reservation;
  }

  /** Removes a shared hold in the background; release stays synchronous for its callers. */
  #unshare(id: string | undefined): void {
    if (id === undefined || !this.#shared) return;
    const { state, scope, holdTtlMs } = this.#shared;
    state.removeHold(scope, id).catch((error) => {
      this.#onReleaseError?.(
        `Could not release a spend hold of scope ${scope}; it counts until it expires in ${
          Math.round(holdTtlMs / 1000)
        } s: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }
}

/** The refusal for these figures, or undefined when the write fits under the cap. */
function judge<B extends BurnFigure>(
  burn: B,
  reserved: number,
  adding: number,
  cap: number,
): ReserveResult<B> | undefined {
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
  return undefined;
}

function sumHeld(held: Iterable<Reservation>): number {
  let sum = 0;
  for (const r of held) sum += r.usdPerHour;
  return round4(sum);
}

/** The one ledger of this process; every server instance's guard should share it. */
export const processSpendLedger: SpendLedger = new SpendLedger();
