/**
 * Argument schemas and checks several tools share, so the same input is judged the same way
 * everywhere.
 *
 * @module
 */

import { isResourceId } from "./_id_check.ts";
import { MANAGED_ENV, MANAGED_VALUE, withMarker } from "../policy/protect.ts";
import { z } from "zod";
import { listSecrets, RunpodApiError, type RunpodClient } from "../runpod/mod.ts";
import { findPlaceholders, MASK } from "../secrets.ts";
import { ToolInputError } from "./_define.ts";

/**
 * Every size limit on input, in one table. RunPod documents few of its own, so each is set at a
 * size RunPod plausibly accepts and no real use comes near; a violation is refused before any
 * request is sent, with the argument, the limit and the actual size.
 */
export const LIMITS = {
  /** Pod, endpoint, template, network volume and registry credential names, characters. */
  NAME_CHARS: 191,
  /** Container image reference (registry/repo:tag@digest), characters. */
  IMAGE_CHARS: 512,
  /** Docker start arguments (`docker_args`), characters. */
  DOCKER_ARGS_CHARS: 4096,
  /** Volume mount path, characters. */
  MOUNT_PATH_CHARS: 255,
  /** One env var name, characters. */
  ENV_NAME_CHARS: 128,
  /** One env var value, UTF-8 bytes (32 KiB: a PEM key or a short config file fits). */
  ENV_VALUE_BYTES: 32 * 1024,
  /** All env names and values together, UTF-8 bytes (64 KiB). */
  ENV_TOTAL_BYTES: 64 * 1024,
  /** Env vars in one call. */
  ENV_VARS: 100,
  /** Extra SSH public key line, characters. */
  SSH_PUBLIC_KEY_CHARS: 16_384,
  /** Registry credential username, characters. */
  REGISTRY_USERNAME_CHARS: 256,
  /** Registry credential password or access token, characters. */
  REGISTRY_PASSWORD_CHARS: 4096,
  /** Job webhook URL, characters. */
  WEBHOOK_URL_CHARS: 2048,
  /** A `/run` request body, UTF-8 bytes of JSON (RunPod's 10 MB, API-NOTES §5.1). */
  RUN_BODY_BYTES: 10 * 1024 * 1024,
  /** A `/runsync` request body, UTF-8 bytes of JSON (RunPod's 20 MB, API-NOTES §5.1). */
  RUNSYNC_BODY_BYTES: 20 * 1024 * 1024,
} as const;

const UTF8 = new TextEncoder();

/** UTF-8 size of `text` in bytes. */
export function byteLength(text: string): number {
  return UTF8.encode(text).length;
}

/** A size in words: bytes under 1 KiB, else KiB or MiB with one decimal. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 102.4) / 10} KiB`;
  return `${Math.round(bytes / 104857.6) / 10} MiB`;
}

/**
 * The `error` option of a string's `.max()`: names the argument, the limit and the actual length,
 * e.g. "name is 300 characters, over the limit of 191".
 */
export function tooLong(arg: string, limit: number) {
  return {
    error: (issue: { input?: unknown }) =>
      `${arg} is ${
        typeof issue.input === "string" ? issue.input.length : "too many"
      } characters, over the limit of ${limit}`,
  };
}

/** A trimmed, non-empty resource name of at most {@linkcode LIMITS}.NAME_CHARS; describe at use. */
export function nameArg(arg = "name") {
  return z.string().trim().min(1).max(LIMITS.NAME_CHARS, tooLong(arg, LIMITS.NAME_CHARS));
}

/** A container image reference; describe at the use site. */
export function imageArg(arg = "image") {
  return z.string().trim().min(1).max(LIMITS.IMAGE_CHARS, tooLong(arg, LIMITS.IMAGE_CHARS));
}

/** Docker start arguments; describe at the use site. */
export const dockerArgsArg = z.string().max(
  LIMITS.DOCKER_ARGS_CHARS,
  tooLong("docker_args", LIMITS.DOCKER_ARGS_CHARS),
);

/** A volume mount path such as /workspace; describe at the use site. */
export const mountPathArg = z.string().regex(/^\/[^\s]*$/, "use an absolute path, e.g. /workspace")
  .max(LIMITS.MOUNT_PATH_CHARS, tooLong("volume_mount_path", LIMITS.MOUNT_PATH_CHARS));

export { RESOURCE_ID } from "./_id_check.ts";

/** An optional id argument of another resource, checked like {@linkcode idArg}; describe at use. */
export function idString(what: string) {
  return z.string().trim().min(1).refine(
    isResourceId,
    `a ${what} has only letters, digits, - and _ (at most 64)`,
  );
}

/** A data center id such as `US-KS-2` or `EUR-IS-1`. */
export const DATA_CENTER_ID = /^[A-Z]{2,4}-[A-Z]{2,4}-\d+$/;

const PORT = /^(\d{1,5})\/(http|tcp|udp)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A RunPod id argument, validated locally so a malformed id never reaches RunPod. */
export function idArg(what: string, example: string) {
  // A refinement, not `.max().regex()`: the check is the same, but it stays out of the JSON
  // Schema, where a pattern repeated on every id argument would cost tools/list ~2 KB.
  return idString(what).describe(`${what[0]!.toUpperCase()}${what.slice(1)}, e.g. ${example}`);
}

/** Exposed ports as `port/protocol`; describe at the use site. */
export const portsArg = z.array(
  z.string().regex(PORT, "use port/protocol, e.g. 8888/http or 22/tcp"),
).max(20);

/** Why an env map is too big, or undefined when it fits {@linkcode LIMITS}. */
export function envSizeProblem(env: Record<string, string>): string | undefined {
  const keys = Object.keys(env);
  if (keys.length > LIMITS.ENV_VARS) {
    return `env has ${keys.length} variables, over the limit of ${LIMITS.ENV_VARS}`;
  }
  let total = 0;
  for (const [key, value] of Object.entries(env)) {
    if (key.length > LIMITS.ENV_NAME_CHARS) {
      return `env name ${
        key.slice(0, 32)
      }… is ${key.length} characters, over the limit of ${LIMITS.ENV_NAME_CHARS}`;
    }
    const bytes = byteLength(value);
    if (bytes > LIMITS.ENV_VALUE_BYTES) {
      return `env ${
        key.slice(0, 64)
      } is ${bytes} bytes, over the limit of ${LIMITS.ENV_VALUE_BYTES} bytes (${
        formatBytes(LIMITS.ENV_VALUE_BYTES)
      }) per value; put large data in a file on a network volume and pass its path`;
    }
    total += bytes + byteLength(key);
  }
  if (total > LIMITS.ENV_TOTAL_BYTES) {
    return `env is ${total} bytes in total (names and values), over the limit of ${LIMITS.ENV_TOTAL_BYTES} bytes (${
      formatBytes(LIMITS.ENV_TOTAL_BYTES)
    }); put large data in a file on a network volume and pass its path`;
  }
  return undefined;
}

/** Environment variables, bounded by {@linkcode LIMITS}; describe at the use site. */
export const envArg = z.record(
  z.string().regex(ENV_NAME, "env names are letters, digits and _"),
  z.string(),
).superRefine((env, ctx) => {
  const problem = envSizeProblem(env);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** What the env checks need to look up the account's secret names. */
export interface EnvCheckContext {
  runpod: RunpodClient;
  signal: AbortSignal;
}

// RunPod replaces `{{ RUNPOD_SECRET_<name> }}` in an env value with the secret's value at start.
const SECRET_REFERENCE = /\{\{\s*RUNPOD_SECRET_([^\s{}]+)\s*\}\}/g;

/** The distinct secret names that env values refer to with `{{ RUNPOD_SECRET_<name> }}`. */
export function secretReferences(env: Record<string, string>): string[] {
  const names = new Set<string>();
  for (const value of Object.values(env)) {
    for (const match of value.matchAll(SECRET_REFERENCE)) names.add(match[1]!);
  }
  return [...names];
}

/**
 * Refuses env values that refer to a RunPod secret the account does not have, naming the ones it
 * has; RunPod would otherwise start the container with the reference text as the value. The
 * secret list is read only when some value holds a reference.
 */
export async function checkSecretReferences(
  env: Record<string, string>,
  action: string,
  ctx: EnvCheckContext,
): Promise<void> {
  const wanted = secretReferences(env);
  if (wanted.length === 0) return;
  const known = (await listSecrets(ctx.runpod, ctx.signal)).map((s) => s.name);
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length === 0) return;
  throw new ToolInputError(
    `Cannot ${action}: env refers to ${
      unknown.map((name) => `{{ RUNPOD_SECRET_${name} }}`).join(", ")
    }, but the account has no secret named ${unknown.join(", ")} (${
      known.length > 0 ? `it has ${known.join(", ")}` : "it has none"
    }). Fix the name, or create the secret with create_secret first. Nothing was sent to RunPod`,
  );
}

/**
 * Checks the env of a create: refuses placeholders (a new resource has no stored value to keep,
 * so a `[masked]` copied from get_pod/get_template/get_endpoint would become the literal value)
 * and references to unknown secrets ({@linkcode checkSecretReferences}).
 */
export async function checkNewEnv(
  env: Record<string, string> | undefined,
  action: string,
  ctx: EnvCheckContext,
): Promise<void> {
  if (!env) return;
  const { whole, partial } = findPlaceholders(env);
  const keys = [...whole, ...partial];
  if (keys.length === 0) return await checkSecretReferences(env, action, ctx);
  throw new ToolInputError(
    `Cannot ${action}: env ${keys.join(", ")} ${
      keys.length === 1 ? "is" : "are"
    } a placeholder (${MASK} or half-hidden text), not a value, and there is no stored value to keep on a new resource. Ask the user for the real value, or leave ${
      keys.length === 1 ? "it" : "them"
    } out`,
  );
}

/** An env write made safe: the env to send and the keys whose stored value was kept. */
export interface SafeEnv {
  env: Record<string, string>;
  kept: string[];
}

/**
 * Makes a full env replacement safe to send. A value that is exactly the placeholder
 * ({@linkcode MASK}, as get_pod shows a secret) keeps the value stored now for that key, read with
 * `current()` only when needed; a placeholder for a key that has no stored value, or a value that
 * merely contains a placeholder or asterisks (`hf_****wxyz`), is refused. The result never
 * contains a placeholder. References to unknown secrets are refused too
 * ({@linkcode checkSecretReferences}).
 */
export async function resolveEnvWrite(
  env: Record<string, string>,
  action: string,
  current: () => Promise<Record<string, string> | null | undefined>,
  ctx: EnvCheckContext,
): Promise<SafeEnv> {
  const { whole, partial } = findPlaceholders(env);
  if (partial.length > 0) {
    throw new ToolInputError(
      `Cannot ${action}: env ${partial.join(", ")} ${
        partial.length === 1 ? "holds" : "hold"
      } a half-hidden value (a ${MASK} placeholder or asterisks inside), which cannot be restored. Give the whole real value, or exactly "${MASK}" to keep the stored one`,
    );
  }
  await checkSecretReferences(env, action, ctx);
  let read: Promise<Record<string, string>> | undefined;
  const storedEnv = () => (read ??= current().then((e) => e ?? {}));
  // A replacement that leaves out runpod-mcp's marker keeps it where it was (--protect-existing).
  const marked = async (out: Record<string, string>) =>
    out[MANAGED_ENV] === undefined && (await storedEnv())[MANAGED_ENV] === MANAGED_VALUE
      ? withMarker(out)
      : out;
  if (whole.length === 0) return { env: await marked(env), kept: [] };
  const stored = await storedEnv();
  const missing = whole.filter((key) => !Object.hasOwn(stored, key));
  if (missing.length > 0) {
    throw new ToolInputError(
      `Cannot ${action}: env ${missing.join(", ")} ${
        missing.length === 1 ? "is" : "are"
      } "${MASK}", the placeholder shown for a hidden secret, but no such variable is stored now, so there is no value to keep. Ask the user for the real value, or leave ${
        missing.length === 1 ? "it" : "them"
      } out`,
    );
  }
  const lost = whole.filter((key) => findPlaceholders({ [key]: stored[key]! }).whole.length > 0);
  if (lost.length > 0) {
    throw new ToolInputError(
      `Cannot ${action}: the stored value of env ${
        lost.join(", ")
      } is itself the placeholder "${MASK}" (an earlier write replaced the secret), so there is nothing to keep. Ask the user for the real value`,
    );
  }
  const out = { ...env };
  for (const key of whole) out[key] = stored[key]!;
  return { env: await marked(out), kept: whole };
}

/** The sentence a summary adds when placeholders kept stored values, or "". */
export function keptNote(kept: readonly string[]): string {
  return kept.length === 0
    ? ""
    : ` Kept the stored value of ${kept.join(", ")} (sent back as ${MASK}).`;
}

/** Refuses port numbers outside 1-65535 and repeated ports; `action` names what was attempted. */
export function checkPorts(ports: readonly string[] | undefined, action: string): void {
  const seen = new Set<string>();
  for (const port of ports ?? []) {
    const number = Number(port.split("/")[0]);
    if (number < 1 || number > 65535) {
      throw new ToolInputError(`Cannot ${action}: port ${port} is outside 1-65535`);
    }
    if (seen.has(port)) throw new ToolInputError(`Cannot ${action}: port ${port} is listed twice`);
    seen.add(port);
  }
}

/**
 * Turns a RunPod error whose status has a known meaning for this tool into a
 * {@linkcode ToolInputError} that names the fix, keeping RunPod's own words; any other error is
 * returned unchanged for the central mapping in `errors.ts`.
 */
export function explainStatus(
  error: unknown,
  explanations: Partial<Record<number, string>>,
): unknown {
  if (!(error instanceof RunpodApiError)) return error;
  const text = explanations[error.status];
  if (text === undefined) return error;
  const said = error.detail ?? error.title;
  return new ToolInputError(said ? `${text} (RunPod: ${said})` : text);
}
