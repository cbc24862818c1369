/**
 * The guard's caps, asked ahead of time: would a create with this GPU, count, price and placement
 * pass `checkCaps`? `recommend_gpu` uses it so its pick is one the guard lets through. It runs the
 * guard's own checks ({@linkcode checkCaps}, {@linkcode reserveTotal}), so the two cannot drift.
 *
 * @module
 */

import { type GpuType, listCpuTypes, type RunpodClient } from "../runpod/mod.ts";
import { accountBurn, type BurnFigure, type ReserveResult, SpendLedger } from "./burn.ts";
import type { PriceCatalog } from "./estimate.ts";
import { checkCaps, type PolicyOptions, type RequestAssessment, reserveTotal } from "./guard.ts";

/** One way to rent GPUs, as the guard would see its create request. */
export interface CapCandidate {
  /** E.g. `create a pod with 1× NVIDIA L4 on SECURE cloud`. */
  action: string;
  /** USD/hour it adds (pods: compute at list price, as the guard prices a create). */
  hourly: number;
  /** Every GPU type it may run on (a serverless pool: each member). */
  gpuTypeIds: string[];
  gpuCount: number;
  /** Where it would be placed; undefined = anywhere. */
  dataCenters?: string[];
}

/** A ledger that answers every reservation against one burn read, so N checks read it once. */
class OneReadLedger extends SpendLedger {
  constructor(private readonly burn: () => Promise<BurnFigure>) {
    super();
  }
  override reserve<B extends BurnFigure>(
    usdPerHour: number,
    capUsdPerHour: number,
    _burnNow: () => Promise<B>,
  ): Promise<ReserveResult<B>> {
    return super.reserve(usdPerHour, capUsdPerHour, this.burn as () => Promise<B>);
  }
}

/**
 * For each candidate, the guard's refusal text without its "Cannot …: " head, or undefined when
 * the guard would let it through. Reads the account's burn once, and only when
 * `--max-total-hourly-cost` is set; creates other calls have in flight are not counted.
 */
export async function capRefusals(
  candidates: readonly CapCandidate[],
  policy: PolicyOptions,
  runpod: RunpodClient,
  gpus: readonly GpuType[],
  signal?: AbortSignal,
): Promise<(string | undefined)[]> {
  const catalog: PriceCatalog = {
    gpus: () => Promise.resolve([...gpus]),
    cpus: () => listCpuTypes(runpod, {}, signal),
  };
  const { maxTotalHourlyCost: _total, ...perResource } = policy;
  let burn: Promise<BurnFigure> | undefined;
  const ledger = new OneReadLedger(() => burn ??= accountBurn(runpod, catalog, signal));
  const out: (string | undefined)[] = [];
  for (const candidate of candidates) {
    const assessment: RequestAssessment = {
      kind: "billable",
      action: candidate.action,
      hourly: candidate.hourly,
      gpuTypeIds: candidate.gpuTypeIds,
      gpuCount: candidate.gpuCount,
      ...(candidate.dataCenters ? { dataCenters: candidate.dataCenters } : {}),
    };
    let refusal = await checkCaps(assessment, perResource, runpod, catalog, signal);
    if (refusal === undefined && policy.maxTotalHourlyCost !== undefined) {
      const total = await reserveTotal(assessment, policy, runpod, catalog, signal, ledger);
      total.release?.();
      refusal = total.refusal;
    }
    const head = `Cannot ${candidate.action}: `;
    out.push(refusal?.startsWith(head) ? refusal.slice(head.length) : refusal);
  }
  return out;
}
