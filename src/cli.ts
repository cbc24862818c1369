/**
 * Command line → configuration → transport. This is the only module that exits the process.
 *
 * @module
 */

import { parseArgs } from "node:util";
import denoJson from "../deno.json" with { type: "json" };
import {
  type Config,
  type ConfigFlags,
  DEFAULTS,
  ENV_NAMES,
  loadConfig,
  SECRET_ENV_PREFIX,
  SETTINGS,
} from "./config.ts";
import { createLogger, type RootLogger } from "./log.ts";
import { RunpodClient } from "./runpod/mod.ts";
import { RunpodSimulator } from "./sandbox/mod.ts";
import { createServer } from "./server.ts";
import { selectTools, TOOLSETS } from "./tools/mod.ts";
import { serveStdio } from "./transports/stdio.ts";

/** Reads `RUNPOD_MCP_SECRET_<NAME>`; the binary's --allow-env grants exactly that prefix. */
function readSecretEnv(name: string): string | undefined {
  const value = Deno.env.get(`${SECRET_ENV_PREFIX}${name.toUpperCase()}`);
  return value === undefined || value === "" ? undefined : value;
}

/** The server's version, from deno.json. */
export const VERSION: string = denoJson.version;

/** Exit code for a bad or missing setting. */
export const EXIT_USAGE = 2;

/** The `--help` text. */
export const HELP =
  `runpod-mcp ${VERSION}: an MCP server that runs a RunPod GPU cloud account safely

Usage: runpod-mcp [options]

Speaks MCP over stdio. Logs go to stderr; stdout carries the protocol.

Options:
  --sandbox                  Run against the built-in RunPod simulator: no account, no network
                             (env ${SETTINGS.sandbox.env}=true)
  --api-base-url URL         RunPod REST base, paths /v2/... (env ${SETTINGS.restBaseUrl.env},
                             default ${DEFAULTS.restBaseUrl})
  --serverless-api-url URL   Serverless job API base (env ${SETTINGS.serverlessBaseUrl.env},
                             default ${DEFAULTS.serverlessBaseUrl})
  --graphql-url URL          GraphQL endpoint, used only where REST lacks a feature
                             (env ${SETTINGS.graphqlUrl.env}, default ${DEFAULTS.graphqlUrl})
  --log-level LEVEL          debug, info, warn or error (env ${SETTINGS.logLevel.env}, default info)
  --request-timeout SECONDS  Deadline for one HTTP attempt, 1-600 (env ${SETTINGS.requestTimeoutS.env},
                             default ${DEFAULTS.requestTimeoutS})
  --show-secrets             Show env values that look secret (KEY, TOKEN, PASSWORD, ...)
                             instead of masking them (env ${SETTINGS.showSecrets.env})

Safety (see the README's Safety section):
  --read-only                Offer only tools that read; refuse every change (env ${SETTINGS.readOnly.env})
  --toolsets LIST            Only these toolsets: ${TOOLSETS.join(",")}
                             (env ${SETTINGS.toolsets.env}); --tools LIST adds single tools
                             (env ${SETTINGS.tools.env}); --exclude-tools LIST wins over both
                             (env ${SETTINGS.excludeTools.env})
  --confirm MODE             never, destructive or billable-and-destructive (default): ask the user
                             before such calls (env ${SETTINGS.confirm.env})
  --max-hourly-cost USD      Most one pod or endpoint may cost per hour (env ${SETTINGS.maxHourlyCost.env})
  --max-total-hourly-cost USD  Most the account may burn per hour, current spend included
                             (env ${SETTINGS.maxTotalHourlyCost.env})
  --max-gpu-count N          Most GPUs per pod or worker (env ${SETTINGS.maxGpuCount.env})
  --allowed-gpu-types LIST   GPU type ids or names allowed (env ${SETTINGS.allowedGpuTypes.env})
  --allowed-data-centers LIST  Data centers allowed (env ${SETTINGS.allowedDataCenters.env})
  --max-workers N            Most workers per serverless endpoint (env ${SETTINGS.maxWorkers.env})
  --protect-existing         Refuse destructive or billable changes to resources runpod-mcp did not
                             create (env ${SETTINGS.protectExisting.env})

Secrets: create_secret takes a RunPod secret's value from env ${SECRET_ENV_PREFIX}<NAME>, so
the value never passes through the model.

  --version                  Print the version and exit
  --help                     Print this help and exit

The API key is read only from env ${SETTINGS.apiKey.env}, never from a flag, so it stays out of
process listings and shell history.
`;

/** What the command line asked for. */
export type CliRequest =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "usage-error"; errors: string[] }
  | { kind: "run"; config: Config };

/**
 * Parses arguments and environment into a request. Pure, so tests cover it without spawning.
 */
export function parseCli(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliRequest {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        sandbox: { type: "boolean" },
        "show-secrets": { type: "boolean" },
        "read-only": { type: "boolean" },
        "protect-existing": { type: "boolean" },
        toolsets: { type: "string" },
        tools: { type: "string" },
        "exclude-tools": { type: "string" },
        confirm: { type: "string" },
        "max-hourly-cost": { type: "string" },
        "max-total-hourly-cost": { type: "string" },
        "max-gpu-count": { type: "string" },
        "allowed-gpu-types": { type: "string" },
        "allowed-data-centers": { type: "string" },
        "max-workers": { type: "string" },
        "api-base-url": { type: "string" },
        "serverless-api-url": { type: "string" },
        "graphql-url": { type: "string" },
        "log-level": { type: "string" },
        "request-timeout": { type: "string" },
        "api-key": { type: "string" },
        version: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\. To specify.*$/s, "") : "";
    return { kind: "usage-error", errors: [`Cannot parse arguments: ${message}`] };
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (values["api-key"] !== undefined) {
    return {
      kind: "usage-error",
      errors: [
        `Cannot take the API key as a flag: flags show up in process listings and shell history; set env ${SETTINGS.apiKey.env} instead`,
      ],
    };
  }
  const str = (name: string) => {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
  };
  const flags: ConfigFlags = {
    ...(values.sandbox ? { sandbox: true } : {}),
    ...(values["show-secrets"] ? { showSecrets: true } : {}),
    restBaseUrl: str("api-base-url"),
    serverlessBaseUrl: str("serverless-api-url"),
    graphqlUrl: str("graphql-url"),
    logLevel: str("log-level"),
    requestTimeoutS: str("request-timeout"),
    ...(values["read-only"] ? { readOnly: true } : {}),
    ...(values["protect-existing"] ? { protectExisting: true } : {}),
    toolsets: str("toolsets"),
    tools: str("tools"),
    excludeTools: str("exclude-tools"),
    confirm: str("confirm"),
    maxHourlyCost: str("max-hourly-cost"),
    maxTotalHourlyCost: str("max-total-hourly-cost"),
    maxGpuCount: str("max-gpu-count"),
    allowedGpuTypes: str("allowed-gpu-types"),
    allowedDataCenters: str("allowed-data-centers"),
    maxWorkers: str("max-workers"),
  };
  const result = loadConfig(flags, env);
  if (!result.ok) return { kind: "usage-error", errors: result.errors };
  try {
    const offered = selectTools({
      ...result.config.selection,
      readOnly: result.config.policy.readOnly,
    });
    if (offered.length === 0) {
      return {
        kind: "usage-error",
        errors: [
          "Cannot start with no tools: --toolsets, --tools, --exclude-tools and --read-only together leave none",
        ],
      };
    }
  } catch (error) {
    return {
      kind: "usage-error",
      errors: [
        `Invalid --toolsets/--tools/--exclude-tools (env RUNPOD_MCP_TOOLSETS, RUNPOD_MCP_TOOLS, RUNPOD_MCP_EXCLUDE_TOOLS): ${
          error instanceof Error ? error.message : String(error)
        }`,
      ],
    };
  }
  return { kind: "run", config: result.config };
}

/**
 * Reads the env vars the server knows. A binary compiled with a narrow `--allow-env` list, or
 * sandbox mode run with no permissions at all, must still start, so a denied read counts as unset.
 */
export function readEnv(names: readonly string[] = ENV_NAMES): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of names) {
    try {
      env[name] = Deno.env.get(name);
    } catch {
      env[name] = undefined;
    }
  }
  return env;
}

function writeStdout(text: string) {
  Deno.stdout.writeSync(new TextEncoder().encode(text));
}

function writeStderr(text: string) {
  Deno.stderr.writeSync(new TextEncoder().encode(text));
}

/** Builds the RunPod client for a config: real HTTP, or the in-process simulator in sandbox mode. */
export function clientForConfig(config: Config, logger: RootLogger): RunpodClient {
  const common = {
    timeoutMs: config.requestTimeoutS * 1000,
    userAgent: `runpod-mcp/${VERSION}`,
    logger,
  };
  if (config.sandbox) {
    // The simulator answers in-process: no socket, so sandbox mode needs no net permission.
    const simulator = new RunpodSimulator({ clock: { mode: "real", speed: 1 } });
    return new RunpodClient({
      ...common,
      apiKey: "rpa_SANDBOX_NOT_A_REAL_KEY",
      restBaseUrl: "http://sandbox.runpod.invalid",
      serverlessBaseUrl: "http://sandbox.runpod.invalid/v2",
      graphqlUrl: "http://sandbox.runpod.invalid/graphql",
      fetch: simulator.fetch,
    });
  }
  return new RunpodClient({
    ...common,
    apiKey: config.apiKey ?? "",
    restBaseUrl: config.restBaseUrl,
    serverlessBaseUrl: config.serverlessBaseUrl,
    graphqlUrl: config.graphqlUrl,
  });
}

/**
 * Runs the command line: prints help or version, or serves MCP over stdio until stdin closes.
 * Exits with 2 on a bad or missing setting, 1 on a fatal error, 0 otherwise.
 */
export async function main(args: readonly string[]): Promise<never> {
  const request = parseCli(args, readEnv());
  switch (request.kind) {
    case "help":
      writeStdout(HELP);
      Deno.exit(0);
      break;
    case "version":
      writeStdout(`runpod-mcp ${VERSION}\n`);
      Deno.exit(0);
      break;
    case "usage-error":
      writeStderr(request.errors.map((e) => `runpod-mcp: ${e}`).join("\n") + "\n");
      writeStderr("Run with --help for usage.\n");
      Deno.exit(EXIT_USAGE);
      break;
    case "run":
      break;
  }
  const { config } = request;
  const logger = createLogger({
    level: config.logLevel,
    secrets: config.apiKey ? [config.apiKey] : [],
  });
  // Stdout belongs to the protocol: anything a dependency prints with console.log goes to stderr.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  try {
    const runpod = clientForConfig(config, logger);
    const server = createServer({ runpod, logger }, {
      version: VERSION,
      sandbox: config.sandbox,
      showSecrets: config.showSecrets,
      secrets: config.apiKey ? [config.apiKey] : [],
      policy: config.policy,
      tools: selectTools({ ...config.selection, readOnly: config.policy.readOnly }),
      secretFromEnv: readSecretEnv,
    });
    logger.info("runpod-mcp starting", {
      version: VERSION,
      mode: config.sandbox ? "sandbox (simulated RunPod, no real money)" : "live",
      api: config.sandbox ? "in-process simulator" : config.restBaseUrl,
    });
    await serveStdio(server, logger);
    logger.info("runpod-mcp stopped: stdin closed");
    Deno.exit(0);
  } catch (error) {
    logger.error("runpod-mcp failed", { error });
    Deno.exit(1);
  }
}
