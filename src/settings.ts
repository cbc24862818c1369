/**
 * The one table of settings: each setting's flag, env var, type, default and help line. The
 * command-line parser, `--help`, the `--allow-env` list of the run and compile tasks and the
 * "flag (env VAR)" phrase of every error message are derived from it, so a new setting cannot
 * be forgotten in one of them. `config.ts` turns the values into a validated `Config`.
 *
 * This module imports nothing from the policy or the tools, so any of them may import it.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { LOG_LEVELS } from "./log.ts";

/** Where a setting shows in `--help` and the README. */
export type SettingGroup = "general" | "safety" | "http" | "state";

/** The kind of value a setting takes, and the limits `config.ts` checks it against. */
export type SettingType =
  | { kind: "boolean" }
  | { kind: "number"; min: number; max?: number; integer?: boolean; unit?: string }
  | { kind: "choice"; choices: readonly string[] }
  | { kind: "list" }
  | { kind: "url" }
  | { kind: "text" }
  | { kind: "secret"; minLength?: number };

/** One row of {@linkcode SETTINGS}. */
export interface Setting {
  /** `--kebab-case`; absent for a secret, which is read only from the environment. */
  flag?: `--${string}`;
  env: string;
  group: SettingGroup;
  type: SettingType;
  /** The value's placeholder in `--help` (`URL`, `USD`); absent for booleans and secrets. */
  arg?: string;
  default?: string | number;
  /** For a setting without a default value: what happens when it is not given. */
  defaultText?: string;
  /** One line, for `--help` and the README. */
  help: string;
  /** Applies only with `--http`; given without it, the server refuses to start. */
  httpOnly?: true;
  /**
   * For a secret: the flag a user might try, accepted by the parser only to refuse it, since
   * flags show up in process listings and shell history.
   */
  refusedFlag?: { flag: `--${string}`; what: string };
}

/** Every setting the server reads. The order is the order of `--help` and `--allow-env`. */
export const SETTINGS = {
  apiKey: {
    env: "RUNPOD_API_KEY",
    group: "general",
    type: { kind: "secret" },
    help: "RunPod API key (rpa_…); required unless --sandbox or --http-auth runpod-key",
    refusedFlag: { flag: "--api-key", what: "the API key" },
  },
  sandbox: {
    flag: "--sandbox",
    env: "RUNPOD_MCP_SANDBOX",
    group: "general",
    type: { kind: "boolean" },
    help: "Run against the built-in RunPod simulator: no account, no network",
  },
  restBaseUrl: {
    flag: "--api-base-url",
    env: "RUNPOD_API_BASE_URL",
    group: "general",
    type: { kind: "url" },
    arg: "URL",
    default: "https://api.runpod.io",
    help: "RunPod REST base; paths are /v2/...",
  },
  serverlessBaseUrl: {
    flag: "--serverless-api-url",
    env: "RUNPOD_SERVERLESS_API_URL",
    group: "general",
    type: { kind: "url" },
    arg: "URL",
    default: "https://api.runpod.ai/v2",
    help: "Serverless job API base",
  },
  graphqlUrl: {
    flag: "--graphql-url",
    env: "RUNPOD_GRAPHQL_URL",
    group: "general",
    type: { kind: "url" },
    arg: "URL",
    default: "https://api.runpod.io/graphql",
    help: "GraphQL endpoint, used only where REST v2 lacks a feature (balance)",
  },
  logLevel: {
    flag: "--log-level",
    env: "RUNPOD_MCP_LOG_LEVEL",
    group: "general",
    type: { kind: "choice", choices: LOG_LEVELS },
    arg: "LEVEL",
    default: "info",
    help: "Least severe level logged to stderr",
  },
  requestTimeoutS: {
    flag: "--request-timeout",
    env: "RUNPOD_MCP_REQUEST_TIMEOUT",
    group: "general",
    type: { kind: "number", min: 1, max: 600, unit: "seconds" },
    arg: "SECONDS",
    default: 30,
    help: "Deadline for one HTTP attempt to RunPod",
  },
  showSecrets: {
    flag: "--show-secrets",
    env: "RUNPOD_MCP_SHOW_SECRETS",
    group: "general",
    type: { kind: "boolean" },
    help: "Show env values that look secret (KEY, TOKEN, PASSWORD, ...) instead of masking them",
  },
  readOnly: {
    flag: "--read-only",
    env: "RUNPOD_MCP_READ_ONLY",
    group: "safety",
    type: { kind: "boolean" },
    help: "Offer only tools that read; refuse every change",
  },
  toolsets: {
    flag: "--toolsets",
    env: "RUNPOD_MCP_TOOLSETS",
    group: "safety",
    type: { kind: "list" },
    arg: "LIST",
    help: "Offer only the tools of these toolsets",
  },
  tools: {
    flag: "--tools",
    env: "RUNPOD_MCP_TOOLS",
    group: "safety",
    type: { kind: "list" },
    arg: "LIST",
    help: "Offer these single tools as well",
  },
  excludeTools: {
    flag: "--exclude-tools",
    env: "RUNPOD_MCP_EXCLUDE_TOOLS",
    group: "safety",
    type: { kind: "list" },
    arg: "LIST",
    help: "Never offer these tools, whatever else selects them",
  },
  confirm: {
    flag: "--confirm",
    env: "RUNPOD_MCP_CONFIRM",
    group: "safety",
    // The guard's CONFIRM_MODES; a copy, because the guard imports this module. A test keeps
    // the two equal.
    type: { kind: "choice", choices: ["never", "destructive", "billable-and-destructive"] },
    arg: "MODE",
    default: "billable-and-destructive",
    help: "Which calls the user must confirm first",
  },
  maxHourlyCost: {
    flag: "--max-hourly-cost",
    env: "RUNPOD_MCP_MAX_HOURLY_COST",
    group: "safety",
    type: { kind: "number", min: 0 },
    arg: "USD",
    help: "Most one pod, or one endpoint with every worker busy, may cost per hour",
  },
  maxTotalHourlyCost: {
    flag: "--max-total-hourly-cost",
    env: "RUNPOD_MCP_MAX_TOTAL_HOURLY_COST",
    group: "safety",
    type: { kind: "number", min: 0 },
    arg: "USD",
    help: "Most the account may burn per hour, current spend included",
  },
  maxGpuCount: {
    flag: "--max-gpu-count",
    env: "RUNPOD_MCP_MAX_GPU_COUNT",
    group: "safety",
    type: { kind: "number", min: 1, integer: true },
    arg: "N",
    help: "Most GPUs per pod or per worker",
  },
  allowedGpuTypes: {
    flag: "--allowed-gpu-types",
    env: "RUNPOD_MCP_ALLOWED_GPU_TYPES",
    group: "safety",
    type: { kind: "list" },
    arg: "LIST",
    help: "GPU type ids or names allowed",
  },
  allowedDataCenters: {
    flag: "--allowed-data-centers",
    env: "RUNPOD_MCP_ALLOWED_DATA_CENTERS",
    group: "safety",
    type: { kind: "list" },
    arg: "LIST",
    help: "Data centers allowed",
  },
  maxWorkers: {
    flag: "--max-workers",
    env: "RUNPOD_MCP_MAX_WORKERS",
    group: "safety",
    type: { kind: "number", min: 1, integer: true },
    arg: "N",
    help: "Most workers per serverless endpoint",
  },
  protectExisting: {
    flag: "--protect-existing",
    env: "RUNPOD_MCP_PROTECT_EXISTING",
    group: "safety",
    type: { kind: "boolean" },
    help: "Refuse destructive or billable changes to resources runpod-mcp did not create",
  },
  http: {
    flag: "--http",
    env: "RUNPOD_MCP_HTTP",
    group: "http",
    type: { kind: "boolean" },
    help: "Serve MCP over Streamable HTTP at /mcp instead of stdio",
  },
  host: {
    flag: "--host",
    env: "RUNPOD_MCP_HOST",
    group: "http",
    type: { kind: "text" },
    arg: "HOST",
    default: "127.0.0.1",
    help: "Address to listen on",
    httpOnly: true,
  },
  port: {
    flag: "--port",
    env: "RUNPOD_MCP_PORT",
    group: "http",
    type: { kind: "number", min: 0, max: 65535, integer: true },
    arg: "PORT",
    default: 8080,
    help: "Port to listen on; 0 picks a free one",
    httpOnly: true,
  },
  httpAuth: {
    flag: "--http-auth",
    env: "RUNPOD_MCP_HTTP_AUTH",
    group: "http",
    type: { kind: "choice", choices: ["token", "runpod-key"] },
    arg: "MODE",
    default: "token",
    help:
      "token: callers send the shared token and the server pays with its own key; runpod-key: each caller's bearer is their own RunPod API key",
    httpOnly: true,
  },
  httpToken: {
    env: "RUNPOD_MCP_HTTP_TOKEN",
    group: "http",
    type: { kind: "secret", minLength: 32 },
    help:
      "The bearer callers send in token mode (Authorization: Bearer …); required off loopback, except with --sandbox",
    httpOnly: true,
    refusedFlag: { flag: "--http-token", what: "the HTTP token" },
  },
  allowedOrigins: {
    flag: "--allowed-origins",
    env: "RUNPOD_MCP_ALLOWED_ORIGINS",
    group: "http",
    type: { kind: "list" },
    arg: "LIST",
    defaultText: "none",
    help: "Browser origins allowed to call, like https://app.example.com",
    httpOnly: true,
  },
  maxBodyBytes: {
    flag: "--max-body-bytes",
    env: "RUNPOD_MCP_MAX_BODY_BYTES",
    group: "http",
    type: { kind: "number", min: 1024, integer: true },
    arg: "BYTES",
    default: 1048576,
    help: "Largest request body accepted",
    httpOnly: true,
  },
  rateLimitPerMinute: {
    flag: "--rate-limit",
    env: "RUNPOD_MCP_RATE_LIMIT",
    group: "http",
    type: { kind: "number", min: 1, integer: true },
    arg: "N",
    default: 600,
    help: "Requests per minute per caller token",
    httpOnly: true,
  },
  stateUrl: {
    flag: "--state-url",
    env: "RUNPOD_MCP_STATE_URL",
    group: "state",
    type: { kind: "text" },
    arg: "URL",
    defaultText: "this process only",
    help: "redis:// or rediss:// URL of state shared by replicas",
  },
  tokenSecret: {
    env: "RUNPOD_MCP_TOKEN_SECRET",
    group: "state",
    type: { kind: "secret", minLength: 32 },
    defaultText: "random per process",
    help: "Key that signs confirmation tokens, the same on every replica",
    refusedFlag: { flag: "--token-secret", what: "the token secret" },
  },
} as const satisfies Record<string, Setting>;

type Table = typeof SETTINGS;

/** The name of one setting: a key of {@linkcode SETTINGS}. */
export type SettingKey = keyof Table;

type FlagKey = { [K in SettingKey]: Table[K] extends { flag: string } ? K : never }[SettingKey];

/** Values given on the command line; `undefined` means "not given". */
export type ConfigFlags = {
  [K in FlagKey]?: Table[K]["type"] extends { kind: "boolean" } ? boolean : string;
};

type DefaultKey = {
  [K in SettingKey]: Table[K] extends { default: unknown } ? K : never;
}[SettingKey];

/** The defaults of the settings that have one. */
export type SettingDefaults = {
  readonly [K in DefaultKey]: Table[K] extends { default: infer D } ? D : never;
};

/** Each setting's default, from {@linkcode SETTINGS}. */
export const DEFAULTS: SettingDefaults = Object.fromEntries(
  rows().flatMap(([key, s]) => s.default === undefined ? [] : [[key, s.default]]),
) as SettingDefaults;

/**
 * Env vars named with this prefix hold values for RunPod secrets: `create_secret` reads
 * `RUNPOD_MCP_SECRET_<NAME>` itself, so the value never passes through the model or the
 * transcript. Like every setting's, the name starts with {@linkcode ENV_PREFIX}, the only env
 * the binary may read.
 */
export const SECRET_ENV_PREFIX = "RUNPOD_MCP_SECRET_";

/** The env var names the server may read, in table order. */
export const ENV_NAMES: readonly string[] = rows().map(([, s]) => s.env);

/** What every env var the server reads starts with: settings and secret values alike. */
export const ENV_PREFIX = "RUNPOD_";

/**
 * The `--allow-env` entries of the `start`, `sandbox`, `serve` and `compile` tasks: the prefix of
 * every setting's env var and of the secret values (a test checks that each one has it).
 */
export const ALLOW_ENV: readonly string[] = [`${ENV_PREFIX}*`];

/** The addresses the release binary's `--allow-net` lets it listen on (see deno.json). */
export const BINARY_LISTEN_ADDRESSES = ["127.0.0.1:8080", "0.0.0.0:8080"] as const;

/** The table as typed rows, for code that treats every setting alike. */
function rows(): [SettingKey, Setting][] {
  return Object.entries(SETTINGS) as [SettingKey, Setting][];
}

/** Options for {@linkcode settingName}. */
export interface SettingNameOptions {
  /** For use inside parentheses: `--flag, env VAR` instead of `--flag (env VAR)`. */
  inParentheses?: boolean;
}

/**
 * How error messages name a setting: its flag and its env var, or only the env var for a
 * secret.
 *
 * @example
 * ```ts
 * settingName("maxTotalHourlyCost");
 * // "--max-total-hourly-cost (env RUNPOD_MCP_MAX_TOTAL_HOURLY_COST)"
 * settingName("maxGpuCount", { inParentheses: true });
 * // "--max-gpu-count, env RUNPOD_MCP_MAX_GPU_COUNT"
 * settingName("apiKey"); // "env RUNPOD_API_KEY"
 * ```
 */
export function settingName(key: SettingKey, options: SettingNameOptions = {}): string {
  const { flag, env }: Setting = SETTINGS[key];
  if (flag === undefined) return `env ${env}`;
  return options.inParentheses ? `${flag}, env ${env}` : `${flag} (env ${env})`;
}

/**
 * What a setting's value must be, in words (`a whole number of at least 1`), or "" when its type
 * says nothing worth printing. Errors and `--help` share it. `listChoices` names the items a list
 * may hold.
 */
export function settingRule(key: SettingKey, listChoices?: readonly string[]): string {
  const type: SettingType = SETTINGS[key].type;
  switch (type.kind) {
    case "boolean":
      return "true or false";
    case "number": {
      const what = `${type.integer ? "a whole number" : "a number"}${
        type.unit ? ` of ${type.unit}` : ""
      }`;
      return type.max === undefined
        ? `${what} of at least ${type.min}`
        : `${what} from ${type.min} to ${type.max}`;
    }
    case "choice":
      return `one of ${type.choices.join(", ")}`;
    case "list":
      return listChoices ? `comma-separated, from ${listChoices.join(", ")}` : "comma-separated";
    case "secret":
      return type.minLength ? `at least ${type.minLength} characters` : "";
    default:
      return "";
  }
}

/** A setting's default, in words, or undefined when it has none worth printing. */
export function settingDefault(key: SettingKey): string | undefined {
  const setting: Setting = SETTINGS[key];
  return setting.default !== undefined ? String(setting.default) : setting.defaultText;
}

/** What the command line asked for, before any value is checked. */
export type FlagsResult =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "usage-error"; errors: string[] }
  | { kind: "flags"; flags: ConfigFlags };

type OptionSpec = { type: "string" | "boolean"; short?: string };

/** Flags that ask for something other than a server, with their help lines. */
const COMMANDS: Record<string, { help: string; short?: string }> = {
  version: { help: "Print the version and exit" },
  help: { help: "Print this help and exit", short: "h" },
};

function parseArgsOptions(): Record<string, OptionSpec> {
  const options: Record<string, OptionSpec> = {};
  for (const [name, { short }] of Object.entries(COMMANDS)) {
    options[name] = { type: "boolean", ...(short ? { short } : {}) };
  }
  for (const [, setting] of rows()) {
    if (setting.flag) {
      options[setting.flag.slice(2)] = {
        type: setting.type.kind === "boolean" ? "boolean" : "string",
      };
    }
    if (setting.refusedFlag) options[setting.refusedFlag.flag.slice(2)] = { type: "string" };
  }
  return options;
}

/**
 * Parses command-line arguments into {@linkcode ConfigFlags} with `node:util` parseArgs, using
 * the option spec derived from {@linkcode SETTINGS}. A secret given as a flag is refused without
 * echoing its value.
 *
 * @example
 * ```ts
 * const result = parseFlags(["--sandbox", "--max-gpu-count", "2"]);
 * // { kind: "flags", flags: { sandbox: true, maxGpuCount: "2" } }
 * ```
 */
export function parseFlags(args: readonly string[]): FlagsResult {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: parseArgsOptions(),
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\. To specify.*$/s, "") : "";
    return { kind: "usage-error", errors: [`Cannot parse arguments: ${message}`] };
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const refused = rows().flatMap(([, s]) =>
    s.refusedFlag && values[s.refusedFlag.flag.slice(2)] !== undefined
      ? [
        `Cannot take ${s.refusedFlag.what} as a flag: flags show up in process listings and shell history; set env ${s.env} instead`,
      ]
      : []
  );
  if (refused.length > 0) return { kind: "usage-error", errors: refused };
  const flags: Record<string, string | boolean> = {};
  for (const [key, setting] of rows()) {
    const value = setting.flag && values[setting.flag.slice(2)];
    if (typeof value === "string" || typeof value === "boolean") flags[key] = value;
  }
  return { kind: "flags", flags: flags as ConfigFlags };
}

const GROUP_TITLES: Record<SettingGroup, string> = {
  general: "Options:",
  safety: "Safety (see the README's Safety section):",
  http: `HTTP (the settings after ${SETTINGS.http.flag} apply only with it):`,
  state: "Shared state (for several replicas behind one address):",
};

const HELP_WIDTH = 100;

/** Greedy wrap of words (which may hold spaces) into lines that start after `indent` columns. */
function wrap(words: readonly string[], indent: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line !== "" && indent + line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * The env var, the rule and the default of one setting, as `--help` prints them: words to wrap,
 * with "default X" kept on one line.
 */
function helpDetail(key: SettingKey, listChoices?: readonly string[]): string[] {
  const setting: Setting = SETTINGS[key];
  const boolean = setting.type.kind === "boolean";
  const parts = [
    setting.refusedFlag
      ? "environment only, never a flag"
      : `env ${setting.env}${boolean ? "=true" : ""}`,
    boolean ? "" : settingRule(key, listChoices),
  ].filter(Boolean);
  const words = parts.join("; ").split(" ");
  const fallback = settingDefault(key);
  if (fallback === undefined) return words;
  return [...words.slice(0, -1), `${words.at(-1)};`, `default ${fallback}`];
}

/**
 * The settings part of `--help`: one block per group, each setting with its flag (or env var, for
 * a secret), its help line, then its env var, rule and default. `listChoices` names the items a
 * list setting may hold (the toolsets, known only to the tool registry).
 */
export function settingsHelp(
  listChoices: Partial<Record<SettingKey, readonly string[]>> = {},
): string {
  const label = (s: Setting) => s.flag ? (s.arg ? `${s.flag} ${s.arg}` : s.flag) : `env ${s.env}`;
  const column = Math.max(...rows().map(([, s]) => label(s).length)) + 4;
  const blocks = (Object.keys(GROUP_TITLES) as SettingGroup[]).map((group) => {
    const lines = [GROUP_TITLES[group]];
    for (const [key, setting] of rows().filter(([, s]) => s.group === group)) {
      const text = [
        ...wrap(setting.help.split(" "), column),
        ...wrap(helpDetail(key, listChoices[key]), column),
      ];
      text.forEach((line, i) => {
        const head = i === 0 ? `  ${label(setting)}` : "";
        lines.push(`${head.padEnd(column)}${line}`);
      });
    }
    if (group === "general") {
      for (const [name, { help, short }] of Object.entries(COMMANDS)) {
        lines.push(`${`  --${name}${short ? `, -${short}` : ""}`.padEnd(column)}${help}`);
      }
    }
    return lines.join("\n");
  });
  return blocks.join("\n\n") + "\n";
}
