/**
 * Flags + environment → a validated {@linkcode Config}. Pure: no I/O, no exits, so every rule is
 * unit-testable. A flag always beats its environment variable. Which settings exist, their names,
 * types and defaults come from the table in `settings.ts`; this module holds the rules.
 *
 * Env names match RunPod's official MCP server so users can switch without editing client
 * configs.
 *
 * @module
 */

import { z } from "zod";
import type { LogLevel } from "./log.ts";
import type { ConfirmMode, PolicyOptions } from "./policy/guard.ts";
import {
  type ConfigFlags,
  DEFAULTS,
  type Setting,
  type SettingKey,
  settingName,
  settingRule,
  SETTINGS,
} from "./settings.ts";

export {
  ALLOW_ENV,
  type ConfigFlags,
  DEFAULTS,
  ENV_NAMES,
  SECRET_ENV_PREFIX,
  settingName,
  SETTINGS,
} from "./settings.ts";

/** How HTTP callers authenticate: one shared token, or each caller's own RunPod API key. */
export type HttpAuthMode = typeof SETTINGS.httpAuth.type.choices[number];

/** How to serve MCP over Streamable HTTP; see `--help` for each field's setting. */
export interface HttpConfig {
  host: string;
  port: number;
  auth: HttpAuthMode;
  /** The bearer callers send in `token` mode; absent means no token (loopback only). */
  token?: string;
  /** Normalized origins (`https://app.example.com`) browsers may call from; empty = none. */
  allowedOrigins: string[];
  maxBodyBytes: number;
  rateLimitPerMinute: number;
}

/** Validated server configuration. */
export interface Config {
  /** Absent in sandbox mode and with `--http-auth runpod-key`. */
  apiKey?: string;
  sandbox: boolean;
  restBaseUrl: string;
  serverlessBaseUrl: string;
  graphqlUrl: string;
  logLevel: LogLevel;
  /** Deadline for one HTTP attempt, in seconds. */
  requestTimeoutS: number;
  /** Show env values that look secret instead of masking them. */
  showSecrets: boolean;
  /** Guardrails the server enforces. */
  policy: PolicyOptions;
  /** Which tools are offered. */
  selection: { toolsets?: string[]; tools?: string[]; excludeTools?: string[] };
  /** Present only with `--http`; otherwise the server speaks stdio. */
  http?: HttpConfig;
  /** `redis://` or `rediss://` URL of state shared by replicas; may hold a password. */
  stateUrl?: string;
  /** Key that signs confirmation tokens, shared by replicas. */
  tokenSecret?: string;
}

/** Result of {@linkcode loadConfig}: a config, or every problem found (not just the first). */
export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

type Env = Readonly<Record<string, string | undefined>>;

type Choice<K extends SettingKey> = typeof SETTINGS[K]["type"] extends
  { choices: readonly (infer C)[] } ? C : never;

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off", ""]);

/** Longer values are refused where they enter, before any rule looks at them. */
const MAX_VALUE_LENGTH = 4096;

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || hostname === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** The first problem zod found, or undefined when `value` passes. */
function problemOf(schema: z.ZodType, value: string): string | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
}

const urlSchema = z.string().trim().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a URL` });
    return;
  }
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && isLoopback(url.hostname)) return;
  ctx.addIssue({
    code: "custom",
    message: url.protocol === "http:"
      ? `"${value}" uses plain http to a non-loopback host, which would send the API key in clear text; use https`
      : `"${value}" must be an https URL`,
  });
});

// Keys look like `rpa_…`; older keys are opaque strings. Reject only what cannot be a key, so a
// valid key of a future shape still works.
const apiKeySchema = z.string().superRefine((value, ctx) => {
  if (value.trim() !== value) {
    ctx.addIssue({ code: "custom", message: "it has leading or trailing whitespace" });
  } else if (value.includes("${")) {
    // A host (a desktop bundle, a client config) that left its variable unfilled.
    ctx.addIssue({
      code: "custom",
      message:
        "it is an unfilled placeholder (${…}): the app that started the server did not fill it in",
    });
  } else if (value.length < 8) {
    ctx.addIssue({ code: "custom", message: "it is too short to be a RunPod API key" });
  } else if (/\s/.test(value)) {
    ctx.addIssue({ code: "custom", message: "it contains whitespace" });
  }
});

/** Reads raw values, a flag before its env var, and collects every problem found. */
class SettingReader {
  readonly errors: string[] = [];

  constructor(private readonly flags: ConfigFlags, private readonly env: Env) {}

  /** Where a setting was given: its flag and/or its env var (an empty env value is unset). */
  sources(key: SettingKey): string[] {
    const setting: Setting = SETTINGS[key];
    const fromFlag = (this.flags as Record<string, unknown>)[key] !== undefined;
    const fromEnv = (this.env[setting.env] ?? "") !== "";
    return [
      ...(fromFlag && setting.flag ? [setting.flag] : []),
      ...(fromEnv ? [`env ${setting.env}`] : []),
    ];
  }

  fail(key: SettingKey, problem: string): undefined {
    this.errors.push(`Invalid ${settingName(key)}: ${problem}`);
    return undefined;
  }

  /**
   * The raw value, flag first; undefined when not given or too long. An empty env var counts as
   * unset, but an empty flag value was given on purpose and goes on to be checked.
   */
  raw(key: SettingKey): string | undefined {
    const flag = (this.flags as Record<string, unknown>)[key];
    const fromEnv = this.env[SETTINGS[key].env];
    const value = typeof flag === "string" ? flag : fromEnv === "" ? undefined : fromEnv;
    if (value === undefined) return undefined;
    if (value.length > MAX_VALUE_LENGTH) {
      return this.fail(key, `it is longer than ${MAX_VALUE_LENGTH} characters`);
    }
    return value;
  }

  boolean(key: SettingKey): boolean {
    const flag = (this.flags as Record<string, unknown>)[key];
    if (typeof flag === "boolean") return flag;
    const raw = this.env[SETTINGS[key].env];
    if (raw === undefined) return false;
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (!FALSE_WORDS.has(word)) this.fail(key, `"${raw}" is not a boolean (use true or false)`);
    return false;
  }

  number(key: SettingKey): number | undefined {
    const type = SETTINGS[key].type as Extract<Setting["type"], { kind: "number" }>;
    const raw = this.raw(key);
    if (raw === undefined) return undefined;
    const value = raw.trim() === "" ? NaN : Number(raw);
    const fits = Number.isFinite(value) && value >= type.min &&
      (type.max === undefined || value <= type.max) &&
      (!type.integer || Number.isInteger(value));
    return fits ? value : this.fail(key, `"${raw}" must be ${settingRule(key)}`);
  }

  choice<K extends SettingKey>(key: K): Choice<K> | undefined {
    const type = SETTINGS[key].type as Extract<Setting["type"], { kind: "choice" }>;
    const raw = this.raw(key);
    if (raw === undefined) return undefined;
    const word = raw.trim().toLowerCase();
    if (type.choices.includes(word)) return word as Choice<K>;
    return this.fail(key, `"${raw}" is not ${settingRule(key)}`);
  }

  list(key: SettingKey): string[] | undefined {
    const raw = this.raw(key);
    if (raw === undefined) return undefined;
    const items = raw.split(",").map((item) => item.trim()).filter((item) => item !== "");
    return items.length > 0 ? items : this.fail(key, "give a comma-separated list");
  }

  url(key: "restBaseUrl" | "serverlessBaseUrl" | "graphqlUrl"): string {
    const value = this.raw(key) ?? DEFAULTS[key];
    const problem = problemOf(urlSchema, value);
    if (problem !== undefined) {
      this.fail(key, problem);
      return DEFAULTS[key];
    }
    return value.trim().replace(/\/+$/, "");
  }

  /** A secret read from the environment; problems never echo its value. */
  secret(key: "httpToken" | "tokenSecret"): string | undefined {
    const raw = this.raw(key);
    if (raw === undefined) return undefined;
    const min = SETTINGS[key].type.minLength;
    if (raw.length < min) {
      return this.fail(key, `it is ${raw.length} characters long; use at least ${min}`);
    }
    return raw;
  }
}

function readPolicy(read: SettingReader): PolicyOptions {
  const readOnly = read.boolean("readOnly");
  const protectExisting = read.boolean("protectExisting");
  const confirm: ConfirmMode = read.choice("confirm") ?? DEFAULTS.confirm;
  const policy: PolicyOptions = {
    readOnly,
    confirm,
    ...(protectExisting ? { protectExisting } : {}),
  };
  const caps = {
    maxHourlyCost: read.number("maxHourlyCost"),
    maxTotalHourlyCost: read.number("maxTotalHourlyCost"),
    maxGpuCount: read.number("maxGpuCount"),
    maxWorkers: read.number("maxWorkers"),
    allowedGpuTypes: read.list("allowedGpuTypes"),
    allowedDataCenters: read.list("allowedDataCenters"),
  };
  for (const [key, value] of Object.entries(caps)) {
    if (value !== undefined) (policy as unknown as Record<string, unknown>)[key] = value;
  }
  return policy;
}

function readSelection(read: SettingReader): Config["selection"] {
  const selection: Config["selection"] = {};
  const toolsets = read.list("toolsets");
  const tools = read.list("tools");
  const excludeTools = read.list("excludeTools");
  if (toolsets) selection.toolsets = toolsets;
  if (tools) selection.tools = tools;
  if (excludeTools) selection.excludeTools = excludeTools;
  return selection;
}

const HOST_NAME = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/;

/** The host part of `url` when that is all it holds (no user, path, query or fragment). */
function onlyHost(url: URL): string | undefined {
  const bare = url.pathname === "/" && !url.username && !url.password && !url.search && !url.hash;
  return bare && HOST_NAME.test(url.hostname) ? url.hostname : undefined;
}

/** A host name or IP address (IPv6 with or without brackets), normalized; undefined if not one. */
function parseHost(value: string): string | undefined {
  const bare = value.trim().replace(/^\[(.*)\]$/, "$1");
  try {
    const url = new URL(`http://${bare.includes(":") ? `[${bare}]` : bare}/`);
    return onlyHost(url)?.replace(/^\[(.*)\]$/, "$1");
  } catch {
    return undefined;
  }
}

/** `https://app.example.com[:port]`, normalized as browsers send it; undefined if not an origin. */
function parseOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    const web = url.protocol === "https:" || url.protocol === "http:";
    return web && onlyHost(url) !== undefined ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

// Never echoes the value: a state URL may carry a password.
const stateUrlSchema = z.string().trim().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: "it is not a URL; use redis://host:6379" });
    return;
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    ctx.addIssue({
      code: "custom",
      message: "it must start with redis:// or rediss:// (TLS)",
    });
  } else if (url.hostname === "") {
    ctx.addIssue({ code: "custom", message: "it names no host; use redis://host:6379" });
  }
});

const HTTP_ONLY = (Object.keys(SETTINGS) as SettingKey[]).filter((key) =>
  (SETTINGS[key] as Setting).httpOnly
);

/** Refuses each HTTP-only setting given without `--http`, naming where it was given. */
function refuseWithoutHttp(read: SettingReader): void {
  for (const key of HTTP_ONLY) {
    const sources = read.sources(key);
    if (sources.length === 0) continue;
    const fixes = sources.map((s) => s.startsWith("env ") ? `unset ${s.slice(4)}` : `drop ${s}`);
    read.errors.push(
      `Cannot use ${sources.join(" and ")} without ${
        settingName("http")
      }: it applies only when serving over HTTP; add ${SETTINGS.http.flag}, or ${
        fixes.join(" and ")
      }`,
    );
  }
}

function readHost(read: SettingReader): string {
  const raw = read.raw("host");
  if (raw === undefined) return DEFAULTS.host;
  const host = parseHost(raw);
  if (host !== undefined) return host;
  read.fail(
    "host",
    `"${raw}" is not a host name or IP address (give the port with ${SETTINGS.port.flag})`,
  );
  return DEFAULTS.host;
}

function readOrigins(read: SettingReader): string[] {
  const items = read.list("allowedOrigins") ?? [];
  const origins: string[] = [];
  for (const item of items) {
    const origin = parseOrigin(item);
    if (origin !== undefined) origins.push(origin);
    else {
      read.fail(
        "allowedOrigins",
        `"${item}" is not an origin: give scheme, host and optional port, without a path, like https://app.example.com`,
      );
    }
  }
  return origins;
}

function readHttpToken(read: SettingReader): string | undefined {
  const token = read.secret("httpToken");
  if (token === undefined || /^[\x21-\x7e]+$/.test(token)) return token;
  // Clients send it in an HTTP header, which cannot carry spaces or non-ASCII intact.
  return read.fail("httpToken", "it must be printable ASCII without spaces");
}

/** The rules that tie the auth mode to the host, the token and the server's own key. */
function checkHttpAuth(read: SettingReader, http: HttpConfig, sandbox: boolean): void {
  const auth = `${SETTINGS.httpAuth.flag} ${http.auth} (env ${SETTINGS.httpAuth.env})`;
  const tokenGiven = read.sources("httpToken").length > 0;
  if (http.auth === "token" && !tokenGiven && !sandbox && !isLoopback(http.host)) {
    read.errors.push(
      `Cannot serve HTTP on ${http.host} without a token: with ${auth} the server spends its own RunPod account, so anyone who can reach the port could spend it; set ${
        settingName("httpToken")
      } to a random string of at least ${SETTINGS.httpToken.type.minLength} characters, listen on loopback (${SETTINGS.host.flag} ${DEFAULTS.host}), or use ${SETTINGS.httpAuth.flag} runpod-key`,
    );
  }
  if (http.auth !== "runpod-key") return;
  if (read.sources("apiKey").length > 0) {
    read.errors.push(
      `Cannot use ${auth} while ${
        settingName("apiKey")
      } is set: each caller pays with their own key, so a server key leaves unclear who pays; unset ${SETTINGS.apiKey.env}, or use ${SETTINGS.httpAuth.flag} token`,
    );
  }
  if (tokenGiven) {
    read.errors.push(
      `Cannot use ${
        settingName("httpToken")
      } with ${auth}: each caller's bearer is their RunPod API key, so a shared token has no use; unset ${SETTINGS.httpToken.env}, or use ${SETTINGS.httpAuth.flag} token`,
    );
  }
}

/** The HTTP settings: present only with `--http`; HTTP-only settings without it are errors. */
function readHttp(read: SettingReader, sandbox: boolean): HttpConfig | undefined {
  if (!read.boolean("http")) {
    refuseWithoutHttp(read);
    return undefined;
  }
  const token = readHttpToken(read);
  const http: HttpConfig = {
    host: readHost(read),
    port: read.number("port") ?? DEFAULTS.port,
    auth: read.choice("httpAuth") ?? DEFAULTS.httpAuth,
    ...(token !== undefined ? { token } : {}),
    allowedOrigins: readOrigins(read),
    maxBodyBytes: read.number("maxBodyBytes") ?? DEFAULTS.maxBodyBytes,
    rateLimitPerMinute: read.number("rateLimitPerMinute") ?? DEFAULTS.rateLimitPerMinute,
  };
  checkHttpAuth(read, http, sandbox);
  return http;
}

/**
 * The server's RunPod API key: required unless in sandbox mode or when each HTTP caller brings
 * their own. Problems never echo the value.
 */
function readApiKey(
  read: SettingReader,
  sandbox: boolean,
  http: HttpConfig | undefined,
): string | undefined {
  const callersPay = http?.auth === "runpod-key";
  if (read.sources("apiKey").length === 0) {
    if (sandbox || callersPay) return undefined;
    const sandboxHint = `pass ${SETTINGS.sandbox.flag} (env ${SETTINGS.sandbox.env}=true)`;
    read.errors.push(
      `Missing ${
        settingName("apiKey")
      }: set it to a RunPod API key (RunPod console → Settings → API Keys), or ${sandboxHint} to use the built-in simulator without an account${
        http
          ? `, or use ${SETTINGS.httpAuth.flag} runpod-key so each caller brings their own key`
          : ""
      }`,
    );
    return undefined;
  }
  const raw = read.raw("apiKey");
  // With runpod-key a set key is refused by checkHttpAuth; a second error would only repeat it.
  if (raw === undefined || callersPay) return undefined;
  const problem = problemOf(apiKeySchema, raw);
  if (problem !== undefined) {
    read.errors.push(
      `Invalid ${
        settingName("apiKey")
      }: ${problem}; set it to the key from the RunPod console (Settings → API Keys), or pass ${SETTINGS.sandbox.flag}`,
    );
    return undefined;
  }
  return sandbox ? undefined : raw;
}

function readStateUrl(read: SettingReader): string | undefined {
  const raw = read.raw("stateUrl");
  if (raw === undefined) return undefined;
  const problem = problemOf(stateUrlSchema, raw);
  return problem === undefined ? raw.trim() : read.fail("stateUrl", problem);
}

/**
 * Builds the configuration from flags and environment. A flag beats its env var. Every error
 * names the flag and the env var, and never contains the API key, a token or a password.
 *
 * @example
 * ```ts
 * const result = loadConfig({ sandbox: true }, {});
 * if (result.ok) console.error(result.config.restBaseUrl);
 * ```
 */
export function loadConfig(flags: ConfigFlags, env: Env): ConfigResult {
  const read = new SettingReader(flags, env);
  const sandbox = read.boolean("sandbox");
  const showSecrets = read.boolean("showSecrets");
  const policy = readPolicy(read);
  const selection = readSelection(read);
  const restBaseUrl = read.url("restBaseUrl");
  const serverlessBaseUrl = read.url("serverlessBaseUrl");
  const graphqlUrl = read.url("graphqlUrl");
  const logLevel: LogLevel = read.choice("logLevel") ?? DEFAULTS.logLevel;
  const requestTimeoutS = read.number("requestTimeoutS") ?? DEFAULTS.requestTimeoutS;
  const http = readHttp(read, sandbox);
  const apiKey = readApiKey(read, sandbox, http);
  const stateUrl = readStateUrl(read);
  const tokenSecret = read.secret("tokenSecret");
  if (read.errors.length > 0) return { ok: false, errors: read.errors };
  return {
    ok: true,
    config: {
      ...(apiKey !== undefined ? { apiKey } : {}),
      sandbox,
      restBaseUrl,
      serverlessBaseUrl,
      graphqlUrl,
      logLevel,
      requestTimeoutS,
      showSecrets,
      policy,
      selection,
      ...(http ? { http } : {}),
      ...(stateUrl !== undefined ? { stateUrl } : {}),
      ...(tokenSecret !== undefined ? { tokenSecret } : {}),
    },
  };
}
