/**
 * Confirmation tokens for clients that cannot show a form: the first call returns a token bound
 * to the tool and its exact arguments; only a repeat with the same arguments and that token, within
 * ten minutes, goes ahead. Tokens are HMAC-SHA-256 signed, so they cannot be forged.
 *
 * By default the key is random and exists only in this process: tokens die with it, and each is
 * spent in an in-process map. Replicas behind one load balancer instead share a secret
 * ({@linkcode setTokenSecret}, from `RUNPOD_MCP_TOKEN_SECRET`), so any of them verifies a token
 * another issued, and spend tokens through a shared claim (`SharedState.claimOnce`, passed to
 * {@linkcode redeemToken}), so a token confirms one call across all of them.
 *
 * @module
 */

/** How long a confirmation token stays valid. */
export const TOKEN_TTL_MS = 10 * 60_000;

/** Arguments that steer the guard itself and so are not part of what is confirmed. */
const GUARD_ARGS = new Set(["dry_run", "confirmation_token"]);

/** The shortest shared secret accepted, in bytes: as long as the HMAC-SHA-256 output. */
export const MIN_TOKEN_SECRET_BYTES = 32;

/** How long a spent token stays claimed past its expiry, so replicas' clock skew cannot reopen it. */
const CLAIM_MARGIN_MS = 60_000;

let keyPromise: Promise<CryptoKey> | undefined;

function importKey(bytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

function key(): Promise<CryptoKey> {
  keyPromise ??= importKey(crypto.getRandomValues(new Uint8Array(32)));
  return keyPromise;
}

/**
 * Signs and verifies tokens with `secret` from now on instead of this process's random key, so
 * every replica given the same secret accepts the others' tokens. A string counts as its UTF-8
 * bytes. Tokens issued under the previous key become `mismatch`.
 *
 * @throws {RangeError} when the secret is shorter than {@linkcode MIN_TOKEN_SECRET_BYTES}.
 * @example
 * ```ts
 * const secret = Deno.env.get("RUNPOD_MCP_TOKEN_SECRET");
 * if (secret) setTokenSecret(secret);
 * ```
 */
export function setTokenSecret(secret: string | Uint8Array): void {
  const bytes = typeof secret === "string"
    ? new TextEncoder().encode(secret)
    : new Uint8Array(secret);
  if (bytes.length < MIN_TOKEN_SECRET_BYTES) {
    throw new RangeError(
      `Cannot use the token secret (RUNPOD_MCP_TOKEN_SECRET): it is ${bytes.length} bytes and at least ${MIN_TOKEN_SECRET_BYTES} are needed; generate one with \`openssl rand -base64 48\``,
    );
  }
  keyPromise = importKey(bytes);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/** The arguments as one stable string: keys sorted, guard arguments and undefined values left out. */
export function canonicalArgs(args: Record<string, unknown>): string {
  const kept = Object.fromEntries(Object.entries(args).filter(([k]) => !GUARD_ARGS.has(k)));
  return JSON.stringify(canonical(kept));
}

function message(
  tool: string,
  expires: number,
  nonce: string,
  args: Record<string, unknown>,
): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${tool}\n${expires}\n${nonce}\n${canonicalArgs(args)}`);
}

function toBase64Url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Issues a token for calling `tool` with `args`, valid for {@linkcode TOKEN_TTL_MS} from `now`. */
export async function issueToken(
  tool: string,
  args: Record<string, unknown>,
  now: number,
): Promise<string> {
  const expires = Math.floor((now + TOKEN_TTL_MS) / 1000);
  // A random nonce makes every issued token unique, so a spent token never blocks a fresh one.
  const nonce = toBase64Url(crypto.getRandomValues(new Uint8Array(9)).buffer);
  const signature = await crypto.subtle.sign(
    "HMAC",
    await key(),
    message(tool, expires, nonce, args),
  );
  return `${expires}.${nonce}.${toBase64Url(signature)}`;
}

/** Why a token was not accepted. */
export type TokenVerdict = "ok" | "malformed" | "expired" | "mismatch" | "used";

/** Tokens already spent, with their expiry (epoch s), so each confirms exactly one call. */
const spent = new Map<string, number>();

/**
 * Claims `key` for `ttlMs`: true for exactly one caller among everyone sharing the store, as
 * `SharedState.claimOnce` does.
 */
export type TokenClaim = (key: string, ttlMs: number) => Promise<boolean>;

/**
 * Checks a token against the tool and the arguments of this call and, when it is good, spends it
 * in the same step, so of any number of parallel calls carrying one token exactly one gets `ok`.
 * A token confirms one call: repeating the call needs a new confirmation, or a looping model
 * could create the same pod twice. `mismatch` covers a changed argument, another tool, a forged
 * signature and a token from an earlier process or another secret.
 *
 * Without `claim`, the token is spent in this process's map, with no await between the check that
 * it is unspent and marking it spent. With `claim` (replicas), it is spent by claiming
 * `token:<token>` until shortly after it expires; a refused claim is `used`, and a claim that
 * rejects (the store is down) rejects this call too, so nothing goes ahead unconfirmed.
 */
export async function redeemToken(
  token: string,
  tool: string,
  args: Record<string, unknown>,
  now: number,
  claim?: TokenClaim,
): Promise<TokenVerdict> {
  const trimmed = token.trim();
  const match = /^(\d{9,12})\.([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{20,100})$/.exec(trimmed);
  if (!match) return "malformed";
  const expires = Number(match[1]);
  const signature = fromBase64Url(match[3]!);
  // Only the canonical spelling counts: base64's spare bits would otherwise give one signature
  // several spellings, and a re-spelled token would slip past the one-use check.
  if (!signature || toBase64Url(signature.buffer) !== match[3]) return "malformed";
  // Verify before looking at the expiry, so a forged token never learns whether it was fresh.
  const valid = await crypto.subtle.verify(
    "HMAC",
    await key(),
    signature,
    message(tool, expires, match[2]!, args),
  );
  if (!valid) return "mismatch";
  if (now / 1000 > expires) return "expired";
  if (claim) {
    const ttlMs = Math.max(1, expires * 1000 - now) + CLAIM_MARGIN_MS;
    return await claim(`token:${trimmed}`, ttlMs) ? "ok" : "used";
  }
  // From here to the end: no await, so the check and the spend are one step.
  for (const [old, until] of spent) if (until < now / 1000) spent.delete(old);
  if (spent.has(trimmed)) return "used";
  spent.set(trimmed, expires);
  return "ok";
}
