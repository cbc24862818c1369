/**
 * The one home of secret masking. Every output path (tool results, resources, errors, logs, the
 * guard's dry run) and every env write goes through here, so a secret is recognised the same way
 * everywhere and always shown as the same placeholder, {@linkcode MASK}.
 *
 * Two kinds of rule decide what is secret:
 * - by name: a variable or field whose name says it holds a credential (`HF_TOKEN`, `DB_PW`,
 *   `WANDB_API_KEY`, `JUPYTER_PASSWORD`, …). Only values that are not trivially public are
 *   masked: empty strings, booleans and short numbers stay visible, so `TOKEN_LIMIT=4096` reads
 *   as it is;
 * - by value: a string that has the shape of a known credential, whatever its name (RunPod,
 *   Hugging Face, OpenAI/Anthropic, GitHub, AWS access key ids, Slack tokens, JWTs, PEM private
 *   keys, bearer and basic credentials, passwords inside URLs).
 *
 * The module imports nothing, so any layer (runpod, policy, tools, resources, log) may use it.
 *
 * @module
 */

/** The placeholder shown wherever a secret was hidden. */
export const MASK = "[masked]";

/** The placeholder older versions wrote into logs; still recognised when a model copies it back. */
const LEGACY_MASK = "[REDACTED]";

// A name is split into upper-case words: `hfToken`, `hf-token` and `HF_TOKEN` all give HF, TOKEN.
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((word) => word !== "");
}

// A word that is, or ends in, one of these names a credential: TOKEN, HFTOKEN, DBPASSWORD.
// TOKENS (MAX_TOKENS) and TOKENIZER are different words and stay visible.
const SECRET_WORD_ENDINGS = [
  "TOKEN",
  "SECRET",
  "SECRETS",
  "PASSWORD",
  "PASSWD",
  "PASSPHRASE",
  "APIKEY",
  "CREDENTIAL",
  "CREDENTIALS",
  "CREDS",
];
// Whole words only: PASSTHROUGH, COOKIES_DIR or PRIVATELY are other words.
const SECRET_WORDS = new Set(["PASS", "PRIVATE", "COOKIE", "AUTHORIZATION"]);
// LLM special tokens (EOS_TOKEN=</s>) are configuration, not credentials.
const SPECIAL_TOKEN_PREFIXES = new Set(["EOS", "BOS", "PAD", "UNK", "SEP", "CLS", "MASK", "STOP"]);

/**
 * True when `name` (an env var, JSON field or argument name) says its value is a credential.
 *
 * - any word equal to or ending in TOKEN, SECRET, PASSWORD, PASSWD, PASSPHRASE, APIKEY,
 *   CREDENTIAL(S) or CREDS, or equal to PASS, PRIVATE, COOKIE or AUTHORIZATION;
 * - PW or PWD with another word (`DB_PW`, `MYSQL_PWD`; a bare `PWD` is the working directory);
 * - KEY, KEYS or AUTH as the last word after another one (`OPENAI_API_KEY`, `PROXY_AUTH`), except
 *   `PUBLIC_KEY`; a bare `key` is too common in JSON (dictionary and object keys) to mean a secret.
 *
 * @example
 * ```ts
 * isSecretName("DB_PW"); // true
 * isSecretName("TOKENIZERS_PARALLELISM"); // false
 * ```
 */
export function isSecretName(name: string): boolean {
  let known = secretNameMemo.get(name);
  if (known === undefined) {
    if (secretNameMemo.size >= SECRET_NAME_MEMO_SIZE) secretNameMemo.clear();
    known = decideSecretName(name);
    secretNameMemo.set(name, known);
  }
  return known;
}

// Field and variable names repeat across every pod of a listing, so the verdict is kept: a
// bounded table, emptied when full, since a name's verdict never changes.
const SECRET_NAME_MEMO_SIZE = 4096;
const secretNameMemo = new Map<string, boolean>();

function decideSecretName(name: string): boolean {
  const words = nameWords(name);
  for (const [i, word] of words.entries()) {
    if (SECRET_WORDS.has(word)) return true;
    const ending = SECRET_WORD_ENDINGS.find((end) => word.endsWith(end));
    if (ending && !(word === "TOKEN" && SPECIAL_TOKEN_PREFIXES.has(words[i - 1] ?? ""))) {
      return true;
    }
    if ((word === "PW" || word === "PWD") && words.length > 1) return true;
  }
  const last = words.at(-1) ?? "";
  const before = words.at(-2);
  if (before === undefined) return last === "AUTH";
  return ["KEY", "KEYS", "AUTH"].includes(last) && before !== "PUBLIC";
}

const TRIVIAL_VALUE =
  /^(?:|true|false|yes|no|on|off|none|null|enabled|disabled|-?\d{1,6}(?:\.\d{1,6})?)$/i;

/** True for values no one would call a secret even under a secret name: "", booleans, short numbers. */
export function isTrivialValue(value: string): boolean {
  return TRIVIAL_VALUE.test(value.trim());
}

// Known credential shapes, found anywhere in a text. Each is replaced whole by MASK. A new rule's
// literal part belongs in MIGHT_HOLD_SECRET too, or texts holding only it skip the rules.
const PEM_PRIVATE_KEY =
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)/g;
const TOKEN_SHAPES: readonly RegExp[] = [
  /\brpa_[A-Za-z0-9_-]{8,}/g, // RunPod API key
  /\bhf_[A-Za-z0-9]{12,}/g, // Hugging Face; hf_transfer (a package) is shorter
  /\bsk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}/g, // OpenAI, Anthropic
  /\b[sr]k_(?:live|test)_[A-Za-z0-9]{10,}/g, // Stripe secret and restricted keys
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g, // GitHub classic tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g, // GitHub fine-grained tokens
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bxox[a-z]-[A-Za-z0-9-]{8,}/g, // Slack tokens
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, // JWT
];

// Any scheme (Basic, Bearer, Token, …) and any length of credential; the scheme stays visible.
const AUTHORIZATION_HEADER =
  /\b((?:proxy-)?authorization"?\s*[=:]\s*"?)(?:(basic|bearer|digest|token|negotiate)\s+)?[^\s,;"']+/gi;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{4,}/gi;

// Userinfo in a URL, e.g. `postgres://app:pw@db:5432`; the user name stays visible.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:)[^\s@/]+@/gi;

// Every rule below needs one of these in the text: a token prefix, a PEM header, a scheme name,
// or the `=` / `:` of an assignment or URL. A text with none of them (most ids, names, states
// and numbers in a listing) skips the rules. Case-insensitive, so it is a superset of the rules.
const MIGHT_HOLD_SECRET =
  /rpa_|hf_|sk-|k_live_|k_test_|gh[pousr]_|github_pat_|AKIA|ASIA|xox|eyJ|-----BEGIN|authorization|bearer|[=:]/i;

// `name=value`, `name: value`, `"name": "value"`, `--name=value`. The value is masked when the
// name is secret and the value is not trivial; otherwise the value is searched again, since
// `url=https://x?token=abc` holds an assignment inside an assignment. A name right after `/` is
// a path segment (`org/secret-store:v1` is an image tag), not an assignment.
const ASSIGNMENT =
  /(?<![/@][\w.-]*|[\w.])([A-Za-z_][A-Za-z0-9_.-]*)("?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&"'}]+)/g;

function maskAssignments(text: string): string {
  return text.replace(ASSIGNMENT, (match, name: string, sep: string, value: string) => {
    // The header rule already kept the scheme; masking here would hide nothing more.
    if (/authorization$/i.test(name)) return match;
    const quote = /^["']/.test(value) ? value[0]! : "";
    const inner = quote ? value.slice(1, -1) : value;
    if (isSecretName(name) && !isTrivialValue(inner) && inner !== MASK) {
      return `${name}${sep}${quote}${MASK}${quote}`;
    }
    const again = maskAssignments(inner);
    return again === inner ? match : `${name}${sep}${quote}${again}${quote}`;
  });
}

/**
 * Replaces everything in `text` that looks like a credential with {@linkcode MASK}: the `extra`
 * strings verbatim (e.g. the configured API key), known token shapes, PEM private keys, JWTs,
 * Authorization credentials, URL passwords and values assigned to secret names.
 *
 * @example
 * ```ts
 * redactSecrets("HF_TOKEN=hf_abcdefghijklmnop MODEL=llama"); // "HF_TOKEN=[masked] MODEL=llama"
 * ```
 */
export function redactSecrets(text: string, extra: readonly string[] = []): string {
  let out = text;
  for (const secret of extra) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(MASK);
  }
  if (!MIGHT_HOLD_SECRET.test(out)) return out;
  out = out.replace(PEM_PRIVATE_KEY, MASK);
  for (const pattern of TOKEN_SHAPES) out = out.replace(pattern, MASK);
  out = out.replace(
    AUTHORIZATION_HEADER,
    (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ""}${MASK}`,
  );
  out = out.replace(BEARER, (_m, head: string) => `${head}${MASK}`);
  out = out.replace(URL_PASSWORD, (_m, head: string) => `${head}${MASK}@`);
  return maskAssignments(out);
}

/** True when `value` holds something {@linkcode redactSecrets} would hide. */
export function hasSecretValue(value: string): boolean {
  return redactSecrets(value) !== value;
}

/** True when the pair `name=value` should be hidden: by its name, or by its value's shape. */
export function isSecretEntry(name: string, value: string): boolean {
  return (isSecretName(name) && !isTrivialValue(value)) || hasSecretValue(value);
}

/**
 * Env vars with every secret value replaced whole by {@linkcode MASK}, unless `show`. Whole, not
 * in part, so a model that copies the env back sends exactly the placeholder, which env writes
 * turn back into the stored value (see {@linkcode findPlaceholders}).
 */
export function maskEnv(
  env: Record<string, string> | null | undefined,
  show = false,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(env ?? {})) {
    const value = String(raw);
    out[key] = !show && isSecretEntry(key, value) ? MASK : value;
  }
  return out;
}

const MAX_DEPTH = 64;

function maskNode(value: unknown, key: string, extra: readonly string[], depth: number): unknown {
  if (typeof value === "string") {
    return isSecretName(key) && !isTrivialValue(value) ? MASK : redactSecrets(value, extra);
  }
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((item) => maskNode(item, "", extra, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskNode(v, k, extra, depth + 1);
  return out;
}

/**
 * A deep copy of a JSON value (request body, tool data, job output, log fields) with the string
 * value of every secret-named field masked and every other string passed through
 * {@linkcode redactSecrets}. Numbers, booleans and nulls are kept.
 *
 * @example
 * ```ts
 * maskBody({ name: "x", env: { HF_TOKEN: "hf_…", MODEL: "llama" } });
 * // { name: "x", env: { HF_TOKEN: "[masked]", MODEL: "llama" } }
 * ```
 */
export function maskBody(value: unknown, extra: readonly string[] = []): unknown {
  return maskNode(value, "", extra, 0);
}

/**
 * A tool outcome with its summary redacted and its data masked as by {@linkcode maskBody};
 * unchanged when `show` (`--show-secrets`) is set.
 */
export function maskOutcome<T extends { summary: string; data: unknown }>(
  outcome: T,
  show = false,
): T {
  if (show) return outcome;
  return { ...outcome, summary: redactSecrets(outcome.summary), data: maskBody(outcome.data) };
}

// A value that is, or contains, a placeholder some output showed instead of a secret, or the
// asterisks and dots other tools use to half-hide one (`hf_****wxyz`).
const PLACEHOLDER_INSIDE = /\[(?:masked|redacted)\]|\*{4,}|•{3,}/i;

/** Env entries that are placeholders rather than values, split by what a write can do with them. */
export interface Placeholders {
  /** Keys whose value is exactly the placeholder: the stored value can be kept. */
  whole: string[];
  /** Keys whose value contains a placeholder or half-hidden text: nothing can be restored. */
  partial: string[];
}

/** Finds env values that are placeholders ({@linkcode MASK}, the old `[REDACTED]`, `****`). */
export function findPlaceholders(env: Record<string, string>): Placeholders {
  const whole: string[] = [];
  const partial: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    const trimmed = value.trim();
    if (trimmed === MASK || trimmed === LEGACY_MASK) whole.push(key);
    else if (PLACEHOLDER_INSIDE.test(value)) partial.push(key);
  }
  return { whole, partial };
}
