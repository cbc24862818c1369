/**
 * Money on REST v2 (`/v2/billing*`) and GraphQL `myself`: zod schemas for what RunPod returns
 * and one function per operation over {@linkcode RunpodClient}.
 *
 * @module
 */

import { z } from "zod";
import type { RunpodClient } from "./client.ts";
import { RunpodApiError, RunpodResponseError } from "./errors.ts";
import { type Myself, MyselfSchema } from "./schemas.ts";

/** Bucket lengths the billing routes accept (`BillingBucketSize`). */
export const BILLING_BUCKETS = ["hour", "day", "week", "month", "year"] as const;
/** One of {@linkcode BILLING_BUCKETS}. */
export type BillingBucket = typeof BILLING_BUCKETS[number];

/** The window every billing route takes; `lastN` is exclusive with the two times. */
export interface BillingQuery {
  /** RFC 3339, snapped down to its bucket; RunPod's default is 30 days ago. */
  startTime?: string;
  /** RFC 3339, exclusive, snapped up to its bucket; RunPod's default is now. */
  endTime?: string;
  /** Default `day`. */
  bucketSize?: BillingBucket;
  /** The last N buckets, ending with the current one. */
  lastN?: number;
}

const timeRange = {
  /** RFC 3339, inclusive. */
  startTime: z.string(),
  /** RFC 3339, exclusive. */
  endTime: z.string(),
};

// Only the total is required: a component RunPod drops or renames later reads as 0 rather than
// making the whole history unreadable.
const amount = z.number().optional();

/** Amounts of the aggregate route (`BillingAmounts`), USD. */
export const BillingAmountsSchema = z.looseObject({
  totalAmount: z.number(),
  podGpuAmount: amount,
  podCpuAmount: amount,
  podDiskAmount: amount,
  serverlessGpuAmount: amount,
  serverlessCpuAmount: amount,
  serverlessDiskAmount: amount,
  serverlessFeeAmount: amount,
  storageStandardAmount: amount,
  storageHighPerformanceAmount: amount,
  /** Spend on RunPod's public endpoints, not on the account's own serverless endpoints. */
  endpointAmount: amount,
  clusterGpuAmount: amount,
  clusterDiskAmount: amount,
  clusterNetworkingAmount: amount,
});
/** Amounts of the aggregate route. */
export type BillingAmounts = z.infer<typeof BillingAmountsSchema>;

/** Pod amounts (`PodBillingAmounts`), USD. */
export const PodBillingAmountsSchema = z.looseObject({
  totalAmount: z.number(),
  gpuAmount: amount,
  cpuAmount: amount,
  diskAmount: amount,
});

/** Serverless amounts (`ServerlessBillingAmounts`), USD. */
export const ServerlessBillingAmountsSchema = z.looseObject({
  totalAmount: z.number(),
  gpuAmount: amount,
  cpuAmount: amount,
  diskAmount: amount,
  feeAmount: amount,
});

/** Network volume amounts (`NetworkVolumeBillingAmounts`), USD. */
export const NetworkVolumeBillingAmountsSchema = z.looseObject({
  totalAmount: z.number(),
  standardAmount: amount,
  highPerformanceAmount: amount,
});

/** The resolved window RunPod echoes back (`BillingQuery` and its per-route variants). */
export const BillingQueryEchoSchema = z.looseObject({
  ...timeRange,
  bucketSize: z.string(),
});

function billingResponse<R extends z.ZodRawShape, T extends z.ZodType>(record: R, totals: T) {
  return z.looseObject({
    records: z.array(z.looseObject({ ...timeRange, ...record })),
    metadata: z.looseObject({
      query: BillingQueryEchoSchema,
      recordCount: z.number(),
      totals,
    }),
  });
}

/** Body of `GET /v2/billing` (`ListBillingResponse`). */
export const ListBillingResponseSchema = billingResponse(
  BillingAmountsSchema.shape,
  BillingAmountsSchema,
);
/** Body of `GET /v2/billing`. */
export type ListBillingResponse = z.infer<typeof ListBillingResponseSchema>;

/** Body of `GET /v2/billing/pods` (`ListPodBillingResponse`). */
export const ListPodBillingResponseSchema = billingResponse(
  { ...PodBillingAmountsSchema.shape, podId: z.string() },
  PodBillingAmountsSchema,
);
/** Body of `GET /v2/billing/pods`. */
export type ListPodBillingResponse = z.infer<typeof ListPodBillingResponseSchema>;

/** Body of `GET /v2/billing/serverless` (`ListServerlessBillingResponse`). */
export const ListServerlessBillingResponseSchema = billingResponse(
  { ...ServerlessBillingAmountsSchema.shape, serverlessId: z.string() },
  ServerlessBillingAmountsSchema,
);
/** Body of `GET /v2/billing/serverless`. */
export type ListServerlessBillingResponse = z.infer<typeof ListServerlessBillingResponseSchema>;

/** Body of `GET /v2/billing/network-volumes` (`ListNetworkVolumeBillingResponse`). */
export const ListNetworkVolumeBillingResponseSchema = billingResponse(
  { ...NetworkVolumeBillingAmountsSchema.shape, networkVolumeId: z.string() },
  NetworkVolumeBillingAmountsSchema,
);
/** Body of `GET /v2/billing/network-volumes`. */
export type ListNetworkVolumeBillingResponse = z.infer<
  typeof ListNetworkVolumeBillingResponseSchema
>;

/**
 * Body of the v2 balance route (Nov 2026 docs, path unverified): `balanceAmount` in USD and
 * `PREPAID` or `POSTPAID`.
 */
export const BalanceResponseSchema = z.looseObject({
  balanceAmount: z.number(),
  billingMode: z.string().optional(),
});

/** The v2 balance route as guessed from the docs' page slug (see API-NOTES §1). */
export const BALANCE_PATH = "/v2/billing/balance";

function windowQuery(query: BillingQuery) {
  return {
    startTime: query.startTime,
    endTime: query.endTime,
    bucketSize: query.bucketSize,
    lastN: query.lastN,
  };
}

/** Spend across every product, bucketed (`GET /v2/billing`). */
export async function listBilling(
  client: RunpodClient,
  query: BillingQuery,
  signal?: AbortSignal,
): Promise<ListBillingResponse> {
  return await client.rest({
    method: "GET",
    path: "/v2/billing",
    query: windowQuery(query),
    schema: ListBillingResponseSchema,
    signal,
  });
}

/** Pod spend, one record per pod per bucket (`GET /v2/billing/pods?podId=`). */
export async function listPodBilling(
  client: RunpodClient,
  query: BillingQuery & { podId?: string },
  signal?: AbortSignal,
): Promise<ListPodBillingResponse> {
  return await client.rest({
    method: "GET",
    path: "/v2/billing/pods",
    query: { ...windowQuery(query), podId: query.podId },
    schema: ListPodBillingResponseSchema,
    signal,
  });
}

/**
 * Spend on the account's own serverless endpoints (`GET /v2/billing/serverless?serverlessId=`).
 * Not `/v2/billing/endpoints`, which is spend on RunPod's public endpoints.
 */
export async function listServerlessBilling(
  client: RunpodClient,
  query: BillingQuery & { serverlessId?: string },
  signal?: AbortSignal,
): Promise<ListServerlessBillingResponse> {
  return await client.rest({
    method: "GET",
    path: "/v2/billing/serverless",
    query: { ...windowQuery(query), serverlessId: query.serverlessId },
    schema: ListServerlessBillingResponseSchema,
    signal,
  });
}

/** Network volume spend (`GET /v2/billing/network-volumes?networkVolumeId=`). */
export async function listNetworkVolumeBilling(
  client: RunpodClient,
  query: BillingQuery & { networkVolumeId?: string },
  signal?: AbortSignal,
): Promise<ListNetworkVolumeBillingResponse> {
  return await client.rest({
    method: "GET",
    path: "/v2/billing/network-volumes",
    query: { ...windowQuery(query), networkVolumeId: query.networkVolumeId },
    schema: ListNetworkVolumeBillingResponseSchema,
    signal,
  });
}

/** The account's money position, from whichever API answered. */
export interface AccountBalance {
  /** USD. */
  balance: number;
  /** `PREPAID` or `POSTPAID`; only REST v2 reports it. */
  billingMode: string | null;
  /** USD/hour RunPod is charging now; null when GraphQL could not be asked. */
  spendPerHour: number | null;
  /** USD as RunPod reports it; null when none is set or unknown. */
  spendLimit: number | null;
  /** Which API gave the balance. */
  source: "rest-v2" | "graphql";
  /** Why a figure is missing, when one is. */
  note?: string;
}

// Statuses that mean "this deployment has no usable v2 balance route for this key": not there
// (404, 405, 501) or not in the key's scopes (403, `billing:read`). GraphQL may still answer.
const NO_V2_BALANCE = new Set([403, 404, 405, 501]);

/**
 * Reads the balance: first the v2 route (its path is unverified), then GraphQL `myself` for the
 * spend rate and limit the v2 route does not give, or for everything when v2 has no balance
 * route. A GraphQL `myself: null` surfaces as a 401 {@linkcode RunpodApiError}.
 */
export async function getAccountBalance(
  client: RunpodClient,
  signal?: AbortSignal,
): Promise<AccountBalance> {
  let v2: z.infer<typeof BalanceResponseSchema> | undefined;
  try {
    v2 = await client.rest({
      method: "GET",
      path: BALANCE_PATH,
      schema: BalanceResponseSchema,
      signal,
    });
  } catch (error) {
    const absent = (error instanceof RunpodApiError && NO_V2_BALANCE.has(error.status)) ||
      // A 2xx with another shape means the guessed path is something else.
      error instanceof RunpodResponseError;
    if (!absent) throw error;
  }
  if (!v2) {
    const me = await getMyself(client, signal);
    return {
      balance: me.clientBalance,
      billingMode: null,
      spendPerHour: me.currentSpendPerHr,
      spendLimit: me.spendLimit,
      source: "graphql",
    };
  }
  const answer: AccountBalance = {
    balance: v2.balanceAmount,
    billingMode: v2.billingMode ?? null,
    spendPerHour: null,
    spendLimit: null,
    source: "rest-v2",
  };
  try {
    const me = await getMyself(client, signal);
    answer.spendPerHour = me.currentSpendPerHr;
    answer.spendLimit = me.spendLimit;
  } catch (error) {
    // GraphQL is deprecated ("retired in early 2027"); the balance alone is still worth giving.
    if (signal?.aborted) throw error;
    answer.note = `spend rate unavailable: GraphQL myself failed (${
      error instanceof Error ? error.message : String(error)
    })`;
  }
  return answer;
}

const MyselfDataSchema = z.looseObject({ myself: MyselfSchema.nullable() });

const MYSELF_QUERY = "query Myself { myself { id clientBalance currentSpendPerHr spendLimit } }";

/**
 * Reads the account balance and spend through GraphQL `myself`. RunPod answers `myself: null`
 * when it does not recognise the credential; that is reported as a 401 {@linkcode RunpodApiError}
 * so callers treat it like any other rejected key.
 */
export async function getMyself(client: RunpodClient, signal?: AbortSignal): Promise<Myself> {
  const data = await client.graphql(MYSELF_QUERY, undefined, MyselfDataSchema, signal);
  if (data.myself === null) {
    throw new RunpodApiError({
      status: 401,
      method: "POST",
      path: client.graphqlPath,
      api: "graphql",
      title: "Unauthorized",
      detail: "RunPod returned no account for this API key",
    });
  }
  return data.myself;
}
