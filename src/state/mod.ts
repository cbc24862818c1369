/**
 * Shared state for the guard and the HTTP front door: {@linkcode openState} picks the in-memory
 * implementation for one process, or Redis when replicas must agree (`--state-url`, env
 * `RUNPOD_MCP_STATE_URL`).
 *
 * @module
 */

import { MemoryState } from "./memory.ts";
import type { RedisStateOptions } from "./redis.ts";
import type { SharedState } from "./types.ts";

export type { SharedState, WindowHit } from "./types.ts";
export { MemoryState } from "./memory.ts";
export type { RedisStateOptions } from "./redis.ts";

const SCHEMES = ["redis:", "rediss:"];

/**
 * Opens the state named by `url`: undefined gives a {@linkcode MemoryState}; `redis://` or
 * `rediss://` a connected `RedisState` (./redis.ts, loaded on first use). Any other URL is refused with a message that
 * names the accepted schemes and never repeats the URL's credentials.
 *
 * @example
 * ```ts
 * const state = await openState(Deno.env.get("RUNPOD_MCP_STATE_URL"));
 * console.error(`state: ${state.kind}`);
 * ```
 */
export async function openState(
  url: string | undefined,
  options: RedisStateOptions = {},
): Promise<SharedState> {
  if (url === undefined) return new MemoryState();
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    throw new Error(
      `Cannot open the shared state: the state URL is not a URL. Use redis://host:port or rediss://host:port (--state-url, env RUNPOD_MCP_STATE_URL), or leave it unset to keep state in memory`,
    );
  }
  if (!SCHEMES.includes(scheme)) {
    throw new Error(
      `Cannot open the shared state: the scheme "${scheme}" is not supported. Use redis://host:port or rediss://host:port (--state-url, env RUNPOD_MCP_STATE_URL), or leave it unset to keep state in memory`,
    );
  }
  // Loaded only here: the Redis client takes longer to load than the rest of the server, and a
  // server without --state-url (every stdio one) never needs it.
  const { RedisState } = await import("./redis.ts");
  return await RedisState.connect(url, options);
}
