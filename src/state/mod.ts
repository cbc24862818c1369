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
/** Redis's port when the URL names none. */
const DEFAULT_PORT = "6379";

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
  await assertMayReach(new URL(url));
  // Loaded only here: the Redis client takes longer to load than the rest of the server, and a
  // server without --state-url (every stdio one) never needs it.
  const { RedisState } = await import("./redis.ts");
  return await RedisState.connect(url, options);
}

/**
 * Refuses a Redis host this process has no permission to reach, before the Redis client is even
 * loaded: the release binary's `--allow-net` names only RunPod's hosts (and its listen addresses),
 * so it says how to run instead of failing inside the client.
 */
async function assertMayReach(url: URL): Promise<void> {
  const host = `${url.hostname}:${url.port || DEFAULT_PORT}`;
  const { state } = await Deno.permissions.query({ name: "net", host });
  if (state === "granted") return;
  throw new Error(
    `Cannot connect to the shared state at ${host}: this process has no permission to reach it. The release binary may reach only RunPod's hosts: run the server with deno run and an --allow-net that names the Redis host and port`,
  );
}
