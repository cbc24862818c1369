/**
 * Settling creates whose outcome is unknown. When a create times out, loses its connection, gets
 * a 5xx or a 2xx that cannot be read, RunPod may have created the resource; sending it again
 * could create and bill a second one. Instead the resource is looked up by name and creation
 * time: exactly one match is returned as if the create had answered, marked with a note; anything
 * else becomes a {@linkcode RunpodAmbiguousWriteError}.
 *
 * @module
 */

import type { RunpodClient } from "./client.ts";
import {
  RunpodAmbiguousWriteError,
  RunpodApiError,
  RunpodConnectionError,
  RunpodResponseError,
  writeOutcomeOf,
} from "./errors.ts";

/** How far RunPod's clock may lag ours when matching `createdAt` against the call's start. */
export const CREATED_AT_SKEW_MS = 60_000;

type ClientError = RunpodApiError | RunpodConnectionError | RunpodResponseError;

const notes = new WeakMap<object, string>();

/**
 * The note attached to a resource that a create returned only after finding it by listing, or
 * `undefined` when RunPod's reply arrived normally. Tools add it to their summary.
 *
 * @example
 * ```ts
 * const pod = await createPod(client, body);
 * const note = recoveryNote(pod); // e.g. "RunPod's reply to POST /v2/pods was lost …"
 * ```
 */
export function recoveryNote(resource: object): string | undefined {
  return notes.get(resource);
}

/**
 * True when `error` is a RunPod client error after which RunPod may have acted on a request that
 * is not safe to repeat.
 */
export function isAmbiguousFailure(error: unknown): error is ClientError {
  const known = error instanceof RunpodApiError || error instanceof RunpodConnectionError ||
    error instanceof RunpodResponseError;
  return known && writeOutcomeOf(error) !== "failed";
}

/** Options for {@linkcode createOnce}. */
export interface CreateOnceOptions<T> {
  client: RunpodClient;
  /** What is created, e.g. `pod`. */
  resource: string;
  /** The name it is created under; the lookup matches on it. */
  name: string;
  /** Sends the create, once. */
  send: () => Promise<T>;
  /** Lists the existing resources of this kind. */
  list: () => Promise<T[]>;
  /** The listing request, for messages, e.g. `GET /v2/pods`. */
  listing: string;
}

/** Fields the lookup reads. */
interface Created {
  id: string;
  name: string;
  createdAt?: string | null;
}

/**
 * Sends a create once; after an ambiguous failure, looks for what it may have created.
 *
 * @throws {RunpodAmbiguousWriteError} The create may have happened and the lookup did not find
 * exactly one match.
 */
export async function createOnce<T extends Created>(options: CreateOnceOptions<T>): Promise<T> {
  const startedAt = options.client.now();
  try {
    return await options.send();
  } catch (error) {
    if (!isAmbiguousFailure(error)) throw error;
    const since = startedAt - CREATED_AT_SKEW_MS;
    const base = {
      method: error.method,
      path: error.path,
      api: error.api,
      resource: options.resource,
      name: options.name,
      cause: error,
    };
    let found: T[];
    try {
      found = (await options.list()).filter((item) =>
        item.name === options.name && createdSince(item.createdAt, since)
      );
    } catch {
      throw new RunpodAmbiguousWriteError({
        ...base,
        lookup: "failed",
        lookupDetail: options.listing,
      });
    }
    const detail = `${options.listing} (same name, created since ${new Date(since).toISOString()})`;
    const [match, ...others] = found;
    if (!match) {
      throw new RunpodAmbiguousWriteError({ ...base, lookup: "none-found", lookupDetail: detail });
    }
    if (others.length > 0) {
      throw new RunpodAmbiguousWriteError({
        ...base,
        lookup: "several-found",
        lookupDetail: detail,
        candidates: found.map((item) => item.id),
      });
    }
    notes.set(
      match,
      `RunPod's reply to ${error.method} ${error.path} was lost (${
        failureSummary(error)
      }); ${options.resource} ${match.id} was found by listing (${options.listing}: same name, created ${
        match.createdAt ?? "just now"
      }) and is taken to be the one this call created.`,
    );
    return match;
  }
}

function createdSince(createdAt: string | null | undefined, since: number): boolean {
  if (!createdAt) return false;
  const at = Date.parse(createdAt);
  return Number.isFinite(at) && at >= since;
}

/** A few words on why the outcome was unknown, e.g. `timed out after 300 ms`. */
export function failureSummary(error: ClientError): string {
  if (error instanceof RunpodConnectionError) {
    return error.timedOut ? "the request timed out" : "the connection dropped";
  }
  if (error instanceof RunpodApiError) return `RunPod answered ${error.status}`;
  return `RunPod answered ${error.status} with a body that could not be read`;
}
