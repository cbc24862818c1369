/**
 * {@linkcode SharedState} in Redis, so HTTP replicas agree: a claim is `SET NX PX`, a window is
 * one script (INCR, PEXPIRE when new, PTTL), a lock is `SET NX PX` with a random token released
 * only by its holder, and a scope's holds are a sorted set of expiries (epoch ms, Redis's clock)
 * beside a hash of amounts, pruned and summed in one script. Every key starts with a prefix.
 *
 * It fails closed: commands reject at once while the connection is down (no offline queue) and
 * after a timeout when Redis stops answering, so a caller refuses instead of hanging; the client
 * reconnects in the background. No error message contains the URL's credentials.
 *
 * @module
 */

import { createClient } from "redis";
import { lockWaitError, MemoryState } from "./memory.ts";
import type { SharedState, WindowHit } from "./types.ts";

/** Options of {@linkcode RedisState.connect}. */
export interface RedisStateOptions {
  /** Prepended to every key. Default `runpod-mcp:`. */
  prefix?: string;
  /** How long connecting may take before it fails, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** How long one command may take before it fails, ms. Default 2000. */
  commandTimeoutMs?: number;
  /** Told about connection trouble (already redacted), for logs. Default: nothing. */
  onError?: (message: string) => void;
}

type Client = ReturnType<typeof newClient>;

const DEFAULT_PREFIX = "runpod-mcp:";
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;
/** Longest pause between two reconnection attempts, and between two tries for a held lock. */
const MAX_RECONNECT_DELAY_MS = 2_000;
const MAX_LOCK_RETRY_MS = 50;

// A window with no expiry (left by something else under our prefix) would never reset, so the
// script gives it one.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

const UNLOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// Expiries use Redis's clock, the one every replica shares. Both keys expire with their last
// hold, so an abandoned scope leaves nothing behind.
const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const ADD_HOLD_SCRIPT = `${NOW_MS}
local expires = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], expires, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local last = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
redis.call('PEXPIREAT', KEYS[1], last + 1000)
redis.call('PEXPIREAT', KEYS[2], last + 1000)
return 1`;

const REMOVE_HOLD_SCRIPT = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`;

// Amounts go back as strings: Redis would truncate a Lua number to an integer.
const SUM_HOLDS_SCRIPT = `${NOW_MS}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(expired))
end
local live = redis.call('ZRANGE', KEYS[1], 0, -1)
if #live == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(live))`;

/**
 * The URL without credentials, path or query: `redis://host:port`. Anything unparsable is shown
 * as a placeholder, since it might hold a password.
 */
export function redactStateUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const port = parsed.port || "6379";
    return `${parsed.protocol}//${parsed.hostname}:${port}`;
  } catch {
    return "(an unparsable URL)";
  }
}

/**
 * State shared by every replica connected to one Redis.
 *
 * @example
 * ```ts
 * const state = await RedisState.connect("redis://:secret@127.0.0.1:6379");
 * await state.withLock("spend:acct", 30_000, 30_000, async () => {});
 * await state.close();
 * ```
 */
export class RedisState implements SharedState {
  /** Always "redis". */
  readonly kind = "redis" as const;
  readonly #client: Client;
  readonly #prefix: string;
  readonly #where: string;
  readonly #secrets: string[];
  readonly #commandTimeoutMs: number;
  // In-process queue in front of the Redis lock: callers of one replica take turns here, so
  // only one of them polls Redis at a time.
  readonly #local = new MemoryState();

  private constructor(
    client: Client,
    where: string,
    secrets: string[],
    options: RedisStateOptions,
  ) {
    this.#client = client;
    this.#where = where;
    this.#secrets = secrets;
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  }

  /**
   * Connects to `url` (`redis://` or `rediss://`, with optional user, password and database).
   * Rejects within the connect timeout, with a message naming the host but not the credentials,
   * when Redis cannot be reached or refuses the login.
   */
  static async connect(url: string, options: RedisStateOptions = {}): Promise<RedisState> {
    const where = redactStateUrl(url);
    const secrets = credentialsOf(url);
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const client = newClient(url, options, secrets);
    try {
      await withDeadline(client.connect(), timeoutMs, `no answer within ${timeoutMs} ms`);
    } catch (error) {
      client.destroy();
      const next = isPermissionError(error)
        ? "The release binary may reach only RunPod's hosts: run the server with deno run and an --allow-net that names the Redis host and port"
        : "Check that Redis is running and reachable, and the URL given by --state-url (env RUNPOD_MCP_STATE_URL)";
      throw new Error(
        `Cannot connect to the shared state at ${where}: ${
          scrub(reasonOf(error), secrets)
        }. ${next}`,
      );
    }
    return new RedisState(client, where, secrets, options);
  }

  /** True for the first claim of `key` across every replica until it expires. */
  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    checkDuration("claim a key", ttlMs);
    const reply = await this.#run(
      "claim a key",
      () => this.#client.set(this.#key("claim", key), "1", { NX: true, PX: Math.ceil(ttlMs) }),
    );
    return reply === "OK";
  }

  /** Counts one request under `key` in a fixed window of `windowMs` shared by every replica. */
  async hit(key: string, windowMs: number): Promise<WindowHit> {
    checkDuration("count a request", windowMs);
    const reply = await this.#run("count a request", () =>
      this.#client.eval(HIT_SCRIPT, {
        keys: [this.#key("hit", key)],
        arguments: [String(Math.ceil(windowMs))],
      }));
    const [count, ttl] = reply as [number, number];
    return { count: Number(count), resetInMs: Math.max(1, Number(ttl)) };
  }

  /**
   * Runs `fn` holding the lock `name` across every replica. Retries a held lock with a short
   * backoff until `waitMs`; releases it only if it is still this caller's.
   */
  async withLock<T>(
    name: string,
    ttlMs: number,
    waitMs: number,
    fn: () => Promise<T>,
  ): Promise<T> {
    checkDuration("take a lock", ttlMs);
    const started = Date.now();
    return await this.#local.withLock(name, ttlMs, Math.max(1, waitMs), async () => {
      const token = await this.#acquire(name, ttlMs, started + waitMs, started);
      try {
        return await fn();
      } finally {
        await this.#unlock(name, token);
      }
    });
  }

  /** Adds or replaces the hold `id` in `scope`, expiring `ttlMs` from now by Redis's clock. */
  async addHold(scope: string, id: string, amount: number, ttlMs: number): Promise<void> {
    checkDuration("add a hold", ttlMs);
    if (!Number.isFinite(amount)) {
      throw new RangeError(`Cannot add a hold: the amount ${amount} is not a finite number`);
    }
    await this.#run("add a hold", () =>
      this.#client.eval(ADD_HOLD_SCRIPT, {
        keys: this.#holdKeys(scope),
        arguments: [id, String(amount), String(Math.ceil(ttlMs))],
      }));
  }

  /** Removes the hold `id` from `scope`, if it is there. */
  async removeHold(scope: string, id: string): Promise<void> {
    await this.#run(
      "remove a hold",
      () => this.#client.eval(REMOVE_HOLD_SCRIPT, { keys: this.#holdKeys(scope), arguments: [id] }),
    );
  }

  /** Drops the expired holds of `scope` and sums the rest, in one step. */
  async sumHolds(scope: string): Promise<number> {
    const reply = await this.#run(
      "sum holds",
      () => this.#client.eval(SUM_HOLDS_SCRIPT, { keys: this.#holdKeys(scope), arguments: [] }),
    );
    let sum = 0;
    for (const amount of reply as (string | null)[]) sum += amount === null ? 0 : Number(amount);
    return sum;
  }

  /** Closes the connection; waiting lock callers are rejected and later calls reject. */
  async close(): Promise<void> {
    await this.#local.close();
    if (!this.#client.isOpen) return;
    try {
      await withDeadline(this.#client.close(), DEFAULT_COMMAND_TIMEOUT_MS, "close timed out");
    } catch {
      // Redis is gone or slow: drop the socket, there is nothing left to flush.
      this.#client.destroy();
    }
  }

  #key(kind: string, name: string): string {
    return `${this.#prefix}${kind}:${name}`;
  }

  #holdKeys(scope: string): string[] {
    return [this.#key("holds", `${scope}:expires`), this.#key("holds", `${scope}:amounts`)];
  }

  async #acquire(name: string, ttlMs: number, deadline: number, started: number): Promise<string> {
    const token = crypto.randomUUID();
    const key = this.#key("lock", name);
    for (let attempt = 0;; attempt++) {
      const reply = await this.#run(
        `take the lock "${name}"`,
        () => this.#client.set(key, token, { NX: true, PX: Math.ceil(ttlMs) }),
      );
      if (reply === "OK") return token;
      const left = deadline - Date.now();
      if (left <= 0) throw lockWaitError(name, Date.now() - started);
      const pause = Math.min(MAX_LOCK_RETRY_MS, 2 ** attempt) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, pause)));
    }
  }

  /** Compare-and-delete: never frees a lock that expired and now belongs to someone else. */
  async #unlock(name: string, token: string): Promise<void> {
    try {
      await this.#run("release a lock", () =>
        this.#client.eval(UNLOCK_SCRIPT, {
          keys: [this.#key("lock", name)],
          arguments: [token],
        }));
    } catch {
      // Redis is unreachable: the lock frees itself when its ttl runs out.
    }
  }

  /**
   * Runs one command within the command timeout (the client's own timeout stops only at the
   * socket: a command written to a frozen server would wait forever), turning any failure into
   * an error that says what to check.
   */
  async #run<T>(what: string, command: () => Promise<T>): Promise<T> {
    const ms = this.#commandTimeoutMs;
    try {
      return await withDeadline(command(), ms, `no answer within ${ms} ms`);
    } catch (error) {
      throw new Error(
        `Cannot ${what}: the shared state at ${this.#where} is unavailable (${
          scrub(reasonOf(error), this.#secrets)
        }), so the call is refused. Check that Redis is running; the client reconnects by itself`,
      );
    }
  }
}

// The return type is inferred: createClient's generic defaults do not fit its own wide type.
function newClient(url: string, options: RedisStateOptions, secrets: string[]) {
  let ready = false;
  const client = createClient({
    url,
    // Commands fail at once while disconnected instead of queueing until Redis returns.
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS },
    socket: {
      connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      // The first connection gets one try, so a wrong URL fails fast; after that, keep trying.
      reconnectStrategy: (retries, cause) =>
        ready ? Math.min(MAX_RECONNECT_DELAY_MS, 50 * 2 ** retries) : cause,
    },
  });
  client.on("ready", () => ready = true);
  // Without a listener, an "error" event would crash the process.
  client.on("error", (error: unknown) => {
    options.onError?.(`Shared state at ${redactStateUrl(url)}: ${scrub(reasonOf(error), secrets)}`);
  });
  return client;
}

function checkDuration(what: string, ms: number): void {
  if (!(Number.isFinite(ms) && ms > 0)) {
    throw new RangeError(`Cannot ${what}: ${ms} is not a duration in milliseconds above 0`);
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(why)), ms);
  });
  // The loser may still settle later; its outcome no longer matters.
  promise.catch(() => undefined);
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** True when Deno's permissions, not the network, refused the connection. */
function isPermissionError(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  if (error.name === "NotCapable" || error.name === "PermissionDenied") return true;
  if (/^Requires net access/.test(error.message)) return true;
  const inner = error instanceof AggregateError ? error.errors : [error.cause];
  return inner.some((e) => isPermissionError(e, depth + 1));
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error && error.cause.message ? error.cause.message : "";
  // Node's AggregateError (IPv4 and IPv6 both refused) has an empty message.
  const inner = error instanceof AggregateError
    ? error.errors.map((e) => e instanceof Error ? e.message : String(e)).join("; ")
    : "";
  return (error.message || inner || cause || error.name).replace(/\.+$/, "");
}

/** The URL's user name and password (decoded too), to scrub from any message. */
function credentialsOf(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const { username, password } = parsed;
  // Very short ones are left alone: masking every "ab" in a message would garble it.
  return [password, decode(password), username, decode(username)].filter((s) => s.length >= 3);
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.replaceAll(secret, "[masked]");
  return out;
}
