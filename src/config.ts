/**
 * Flags + environment → a validated {@linkcode Config}. Pure: no I/O, no exits, so every rule is
 * unit-testable. A flag always beats its environment variable.
 *
 * Env names match RunPod's official MCP server so users can switch without editing client
 * configs.
 *
 * @module
 */

import { z } from "zod";
import { LOG_LEVELS, type LogLevel } from "./log.ts";
import { CONFIRM_MODES, type ConfirmMode, type PolicyOptions } from "./policy/guard.ts";

/** Where a setting can come from: the flag and the environment variable that feed it. */
export interface SettingSource {
  flag: string;
  env: string;
}

/** Every setting the server reads, with its flag and env var. The README's table mirrors this. */
export const SETTINGS = {
  apiKey: { flag: "", env: "RUNPOD_API_KEY" },
  sandbox: { flag: "--sandbox", env: "RUNPOD_MCP_SANDBOX" },
  restBaseUrl: { flag: "--api-base-url", env: "RUNPOD_API_BASE_URL" },
  serverlessBaseUrl: { flag: "--serverless-api-url", env: "RUNPOD_SERVERLESS_API_URL" },
  graphqlUrl: { flag: "--graphql-url", env: "RUNPOD_GRAPHQL_URL" },
  logLevel: { flag: "--log-level", env: "RUNPOD_MCP_LOG_LEVEL" },
  requestTimeoutS: { flag: "--request-timeout", env: "RUNPOD_MCP_REQUEST_TIMEOUT" },
  showSecrets: { flag: "--show-secrets", env: "RUNPOD_MCP_SHOW_SECRETS" },
  readOnly: { flag: "--read-only", env: "RUNPOD_MCP_READ_ONLY" },
  toolsets: { flag: "--toolsets", env: "RUNPOD_MCP_TOOLSETS" },
  tools: { flag: "--tools", env: "RUNPOD_MCP_TOOLS" },
  excludeTools: { flag: "--exclude-tools", env: "RUNPOD_MCP_EXCLUDE_TOOLS" },
  confirm: { flag: "--confirm", env: "RUNPOD_MCP_CONFIRM" },
  maxHourlyCost: { flag: "--max-hourly-cost", env: "RUNPOD_MCP_MAX_HOURLY_COST" },
  maxTotalHourlyCost: { flag: "--max-total-hourly-cost", env: "RUNPOD_MCP_MAX_TOTAL_HOURLY_COST" },
  maxGpuCount: { flag: "--max-gpu-count", env: "RUNPOD_MCP_MAX_GPU_COUNT" },
  allowedGpuTypes: { flag: "--allowed-gpu-types", env: "RUNPOD_MCP_ALLOWED_GPU_TYPES" },
  allowedDataCenters: { flag: "--allowed-data-centers", env: "RUNPOD_MCP_ALLOWED_DATA_CENTERS" },
  maxWorkers: { flag: "--max-workers", env: "RUNPOD_MCP_MAX_WORKERS" },
  protectExisting: { flag: "--protect-existing", env: "RUNPOD_MCP_PROTECT_EXISTING" },
} as const satisfies Record<string, SettingSource>;

/**
 * Env vars named with this prefix hold values for RunPod secrets: `create_secret` reads
 * `RUNPOD_MCP_SECRET_<NAME>` itself, so the value never passes through the model or the
 * transcript. The binary may read these and no other variables beyond {@linkcode ENV_NAMES}.
 */
export const SECRET_ENV_PREFIX = "RUNPOD_MCP_SECRET_";

/**
 * The env var names the server may read; the compiled binary's `--allow-env` list is this, plus
 * `RUNPOD_MCP_SECRET_*` ({@linkcode SECRET_ENV_PREFIX}).
 */
export const ENV_NAMES: readonly string[] = Object.values(SETTINGS).map((s) => s.env);

/** The compiled binary's `--allow-env` entries: every setting, and the secret-value prefix. */
export const ALLOW_ENV: readonly string[] = [...ENV_NAMES, `${SECRET_ENV_PREFIX}*`];

/** Default base URLs: REST v2 (paths are `/v2/...`), the serverless job API, GraphQL. */
export const DEFAULTS = {
  restBaseUrl: "https://api.runpod.io",
  serverlessBaseUrl: "https://api.runpod.ai/v2",
  graphqlUrl: "https://api.runpod.io/graphql",
  logLevel: "info" as LogLevel,
  requestTimeoutS: 30,
} as const;

/** Validated server configuration. */
export interface Config {
  /** Absent only in sandbox mode. */
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
}

/** Values given on the command line; `undefined` means "not given". */
export interface ConfigFlags {
  sandbox?: boolean;
  showSecrets?: boolean;
  readOnly?: boolean;
  protectExisting?: boolean;
  toolsets?: string;
  tools?: string;
  excludeTools?: string;
  confirm?: string;
  maxHourlyCost?: string;
  maxTotalHourlyCost?: string;
  maxGpuCount?: string;
  allowedGpuTypes?: string;
  allowedDataCenters?: string;
  maxWorkers?: string;
  restBaseUrl?: string;
  serverlessBaseUrl?: string;
  graphqlUrl?: string;
  logLevel?: string;
  requestTimeoutS?: string;
}

/** Result of {@linkcode loadConfig}: a config, or every problem found (not just the first). */
export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off", ""]);

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || hostname === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname);
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
}).transform((value) => value.replace(/\/+$/, ""));

// Keys look like `rpa_…`; older keys are opaque strings. Reject only what cannot be a key, so a
// valid key of a future shape still works.
const apiKeySchema = z.string().superRefine((value, ctx) => {
  if (value.trim() !== value) {
    ctx.addIssue({ code: "custom", message: "it has leading or trailing whitespace" });
  } else if (value.length < 8) {
    ctx.addIssue({ code: "custom", message: "it is too short to be a RunPod API key" });
  } else if (/\s/.test(value)) {
    ctx.addIssue({ code: "custom", message: "it contains whitespace" });
  }
});

function describeSource(name: keyof typeof SETTINGS): string {
  const source = SETTINGS[name];
  return source.flag ? `${source.flag} (env ${source.env})` : `env ${source.env}`;
}

/**
 * Builds the configuration from flags and environment. A flag beats its env var. Every error
 * names both the flag and the env var, and never contains the API key's value.
 *
 * @example
 * ```ts
 * const result = loadConfig({ sandbox: true }, {});
 * if (result.ok) console.error(result.config.restBaseUrl);
 * ```
 */
export function loadConfig(
  flags: ConfigFlags,
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult {
  const errors: string[] = [];
  const pick = (name: keyof typeof SETTINGS, flagValue: string | undefined) => {
    if (flagValue !== undefined) return flagValue;
    const fromEnv = env[SETTINGS[name].env];
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };

  const boolean = (
    name: "sandbox" | "showSecrets" | "readOnly" | "protectExisting",
    flagValue: boolean | undefined,
  ): boolean => {
    if (flagValue !== undefined) return flagValue;
    const raw = env[SETTINGS[name].env];
    if (raw === undefined) return false;
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (!FALSE_WORDS.has(word)) {
      errors.push(
        `Invalid ${describeSource(name)}: "${raw}" is not a boolean (use true or false)`,
      );
    }
    return false;
  };
  const sandbox = boolean("sandbox", flags.sandbox);
  const showSecrets = boolean("showSecrets", flags.showSecrets);
  const readOnly = boolean("readOnly", flags.readOnly);
  const protectExisting = boolean("protectExisting", flags.protectExisting);

  const list = (
    name: "toolsets" | "tools" | "excludeTools" | "allowedGpuTypes" | "allowedDataCenters",
    flagValue?: string,
  ) => {
    const raw = pick(name, flagValue);
    if (raw === undefined) return undefined;
    const items = raw.split(",").map((item) => item.trim()).filter((item) => item !== "");
    if (items.length === 0) {
      errors.push(`Invalid ${describeSource(name)}: give a comma-separated list`);
      return undefined;
    }
    return items;
  };
  const number = (
    name: "maxHourlyCost" | "maxTotalHourlyCost" | "maxGpuCount" | "maxWorkers",
    flagValue: string | undefined,
    { integer, min }: { integer: boolean; min: number },
  ) => {
    const raw = pick(name, flagValue);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      errors.push(
        `Invalid ${describeSource(name)}: "${raw}" must be ${
          integer ? "a whole number" : "a number"
        } of at least ${min}`,
      );
      return undefined;
    }
    return value;
  };
  let confirm: ConfirmMode = "billable-and-destructive";
  const rawConfirm = pick("confirm", flags.confirm);
  if (rawConfirm !== undefined) {
    const mode = rawConfirm.trim().toLowerCase();
    if ((CONFIRM_MODES as readonly string[]).includes(mode)) confirm = mode as ConfirmMode;
    else {
      errors.push(
        `Invalid ${describeSource("confirm")}: "${rawConfirm}" is not one of ${
          CONFIRM_MODES.join(", ")
        }`,
      );
    }
  }
  const policy: PolicyOptions = {
    readOnly,
    confirm,
    ...(protectExisting ? { protectExisting } : {}),
  };
  const caps = {
    maxHourlyCost: number("maxHourlyCost", flags.maxHourlyCost, { integer: false, min: 0 }),
    maxTotalHourlyCost: number("maxTotalHourlyCost", flags.maxTotalHourlyCost, {
      integer: false,
      min: 0,
    }),
    maxGpuCount: number("maxGpuCount", flags.maxGpuCount, { integer: true, min: 1 }),
    maxWorkers: number("maxWorkers", flags.maxWorkers, { integer: true, min: 1 }),
    allowedGpuTypes: list("allowedGpuTypes", flags.allowedGpuTypes),
    allowedDataCenters: list("allowedDataCenters", flags.allowedDataCenters),
  };
  for (const [key, value] of Object.entries(caps)) {
    if (value !== undefined) (policy as unknown as Record<string, unknown>)[key] = value;
  }
  const selection: Config["selection"] = {};
  const toolsets = list("toolsets", flags.toolsets);
  const tools = list("tools", flags.tools);
  const excludeTools = list("excludeTools", flags.excludeTools);
  if (toolsets) selection.toolsets = toolsets;
  if (tools) selection.tools = tools;
  if (excludeTools) selection.excludeTools = excludeTools;

  const url = (name: "restBaseUrl" | "serverlessBaseUrl" | "graphqlUrl", flagValue?: string) => {
    const raw = pick(name, flagValue) ?? DEFAULTS[name];
    const parsed = urlSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    errors.push(`Invalid ${describeSource(name)}: ${parsed.error.issues[0]?.message}`);
    return DEFAULTS[name];
  };
  const restBaseUrl = url("restBaseUrl", flags.restBaseUrl);
  const serverlessBaseUrl = url("serverlessBaseUrl", flags.serverlessBaseUrl);
  const graphqlUrl = url("graphqlUrl", flags.graphqlUrl);

  let logLevel: LogLevel = DEFAULTS.logLevel;
  const rawLevel = pick("logLevel", flags.logLevel);
  if (rawLevel !== undefined) {
    const level = rawLevel.trim().toLowerCase();
    if ((LOG_LEVELS as readonly string[]).includes(level)) logLevel = level as LogLevel;
    else {
      errors.push(
        `Invalid ${describeSource("logLevel")}: "${rawLevel}" is not one of ${
          LOG_LEVELS.join(", ")
        }`,
      );
    }
  }

  let requestTimeoutS: number = DEFAULTS.requestTimeoutS;
  const rawTimeout = pick("requestTimeoutS", flags.requestTimeoutS);
  if (rawTimeout !== undefined) {
    const seconds = Number(rawTimeout);
    if (!Number.isFinite(seconds) || seconds < 1 || seconds > 600) {
      errors.push(
        `Invalid ${
          describeSource("requestTimeoutS")
        }: "${rawTimeout}" must be a number of seconds from 1 to 600`,
      );
    } else requestTimeoutS = seconds;
  }

  let apiKey: string | undefined;
  const rawKey = env[SETTINGS.apiKey.env];
  if (rawKey !== undefined && rawKey !== "") {
    const parsed = apiKeySchema.safeParse(rawKey);
    // The message describes the problem and never echoes the value.
    if (parsed.success) apiKey = rawKey;
    else {
      errors.push(
        `Invalid env ${SETTINGS.apiKey.env}: ${
          parsed.error.issues[0]?.message
        }; set it to the key from the RunPod console (Settings → API Keys), or pass --sandbox`,
      );
    }
  } else if (!sandbox) {
    errors.push(
      `Missing env ${SETTINGS.apiKey.env}: set it to a RunPod API key (RunPod console → Settings → API Keys), or pass --sandbox (env ${SETTINGS.sandbox.env}=true) to use the built-in simulator without an account`,
    );
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      ...(apiKey !== undefined && !sandbox ? { apiKey } : {}),
      sandbox,
      restBaseUrl,
      serverlessBaseUrl,
      graphqlUrl,
      logLevel,
      requestTimeoutS,
      showSecrets,
      policy,
      selection,
    },
  };
}
