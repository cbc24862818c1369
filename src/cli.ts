/**
 * Command line → configuration → transport. This is the only module that exits the process.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };
import { CLIENT_IDS, configCommand } from "./client_config.ts";
import { type Config, loadConfig } from "./config.ts";
import { createLogger, type RootLogger } from "./log.ts";
import { RunpodClient } from "./runpod/mod.ts";
import { createApp, type ServerOptions } from "./server.ts";
import { selectTools, TOOLSETS } from "./tools/mod.ts";
import { httpTransport, stdioTransport } from "./transports/mod.ts";
import {
  ENV_NAMES,
  parseFlags,
  SECRET_ENV_PREFIX,
  settingName,
  SETTINGS,
  settingsHelp,
} from "./settings.ts";

/** Reads `RUNPOD_MCP_SECRET_<NAME>`; the binary's --allow-env grants exactly that prefix. */
function readSecretEnv(name: string): string | undefined {
  const value = Deno.env.get(`${SECRET_ENV_PREFIX}${name.toUpperCase()}`);
  return value === undefined || value === "" ? undefined : value;
}

/** The server's version, from deno.json. */
export const VERSION: string = denoJson.version;

/** Exit code for a bad or missing setting. */
export const EXIT_USAGE = 2;

/** The subcommand that prints a client configuration instead of serving. */
export const CONFIG_COMMAND = "config";

/** The env vars of the keys and tokens, which are read only from the environment. */
const SECRET_ENVS = Object.values(SETTINGS).flatMap((s) => "refusedFlag" in s ? [s.env] : []);

/** The `--help` text; the settings part comes from the table in `settings.ts`. */
export const HELP =
  `runpod-mcp ${VERSION}: an MCP server that runs a RunPod GPU cloud account safely

Usage: runpod-mcp [options]
       runpod-mcp ${CONFIG_COMMAND} <client>    print a ready-to-paste client configuration

Speaks MCP over stdio, or over Streamable HTTP at /mcp with ${SETTINGS.http.flag}. Logs go to
stderr; over stdio, stdout carries the protocol.

${settingsHelp({ toolsets: TOOLSETS })}
Keys and tokens are read only from the environment, never from flags, so they stay out of
process listings and shell history: ${SECRET_ENVS.join(", ")}.
create_secret takes a RunPod secret's value from env ${SECRET_ENV_PREFIX}<NAME>, so the value never
passes through the model.

${CONFIG_COMMAND} prints the configuration for one of ${CLIENT_IDS.join(", ")};
\`runpod-mcp ${CONFIG_COMMAND} --help\` lists its options.
`;

/** `--toolsets (env …), --tools (env …), --exclude-tools (env …)`, for selection errors. */
function selectionNames(): string {
  return (["toolsets", "tools", "excludeTools"] as const).map((key) => settingName(key)).join(
    ", ",
  );
}

/** What the command line asked for. */
export type CliRequest =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "usage-error"; errors: string[]; usage?: string }
  | { kind: "config"; stdout: string; stderr: string }
  | { kind: "run"; config: Config };

/**
 * Parses arguments and environment into a request. Pure, so tests cover it without spawning.
 */
export function parseCli(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliRequest {
  if (args[0] === CONFIG_COMMAND) {
    const result = configCommand(args.slice(1), env, Deno.build.os);
    return result.kind === "output"
      ? { kind: "config", stdout: result.stdout, stderr: result.stderr }
      : { ...result, usage: `runpod-mcp ${CONFIG_COMMAND} --help` };
  }
  const parsed = parseFlags(args);
  if (parsed.kind !== "flags") return parsed;
  const result = loadConfig(parsed.flags, env);
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
          `Cannot start with no tools: ${SETTINGS.toolsets.flag}, ${SETTINGS.tools.flag}, ${SETTINGS.excludeTools.flag} and ${SETTINGS.readOnly.flag} together leave none`,
        ],
      };
    }
  } catch (error) {
    return {
      kind: "usage-error",
      errors: [
        `Invalid ${selectionNames()}: ${error instanceof Error ? error.message : String(error)}`,
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

function clientOptions(config: Config, logger: RootLogger) {
  return { timeoutMs: config.requestTimeoutS * 1000, userAgent: `runpod-mcp/${VERSION}`, logger };
}

/** The RunPod client for a live account: the config's key, or a caller's own. */
function liveClient(config: Config, logger: RootLogger, callerKey?: string): RunpodClient {
  return new RunpodClient({
    ...clientOptions(config, logger),
    apiKey: callerKey ?? config.apiKey ?? "",
    restBaseUrl: config.restBaseUrl,
    serverlessBaseUrl: config.serverlessBaseUrl,
    graphqlUrl: config.graphqlUrl,
  });
}

/**
 * Builds the RunPod client for a config: real HTTP, or the in-process simulator in sandbox mode.
 * The simulator's modules are loaded only then, so a live server never evaluates them.
 */
export async function clientForConfig(config: Config, logger: RootLogger): Promise<RunpodClient> {
  if (!config.sandbox) return liveClient(config, logger);
  const { RunpodSimulator } = await import("./sandbox/mod.ts");
  // The simulator answers in-process: no socket, so sandbox mode needs no net permission.
  const simulator = new RunpodSimulator({ clock: { mode: "real", speed: 1 } });
  return new RunpodClient({
    ...clientOptions(config, logger),
    apiKey: "rpa_SANDBOX_NOT_A_REAL_KEY",
    restBaseUrl: "http://sandbox.runpod.invalid",
    serverlessBaseUrl: "http://sandbox.runpod.invalid/v2",
    graphqlUrl: "http://sandbox.runpod.invalid/graphql",
    fetch: simulator.fetch,
  });
}

/**
 * Runs the command line: prints help, version or a client configuration, or serves MCP until
 * stdin closes.
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
      writeStderr(`Run ${request.usage ?? "runpod-mcp --help"} for usage.\n`);
      Deno.exit(EXIT_USAGE);
      break;
    case "config":
      writeStdout(request.stdout);
      writeStderr(request.stderr);
      Deno.exit(0);
      break;
    case "run":
      break;
  }
  const { config } = request;
  const logger = createLogger({
    level: config.logLevel,
    secrets: secretsOf(config),
  });
  // Stdout belongs to the protocol: anything a dependency prints with console.log goes to stderr.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  try {
    const runpod = await clientForConfig(config, logger);
    const transport = config.http
      ? await httpTransport(config.http, {
        logger,
        version: VERSION,
        sandbox: config.sandbox,
        ...(config.stateUrl ? { stateUrl: config.stateUrl } : {}),
        ...(config.tokenSecret ? { tokenSecret: config.tokenSecret } : {}),
        // The simulator is one shared account; a live key gets its own client per request.
        clientForKey: (key) => config.sandbox ? runpod : liveClient(config, logger, key),
      })
      : stdioTransport(logger);
    const app = createApp(
      { runpod, logger, ...transport.deps },
      { ...appOptions(config), ...transport.options },
    );
    announce(config, logger, transport.name);
    await transport.serve(app);
    await app.close();
    Deno.exit(0);
  } catch (error) {
    logger.error("runpod-mcp failed", { error });
    Deno.exit(1);
  }
}

/** Every configured value that must never appear in a log line or a result. */
function secretsOf(config: Config): string[] {
  return [config.apiKey, config.http?.token, config.tokenSecret, config.stateUrl].filter(
    (value): value is string => typeof value === "string" && value.length > 0,
  );
}

function appOptions(config: Config): ServerOptions {
  return {
    version: VERSION,
    sandbox: config.sandbox,
    showSecrets: config.showSecrets,
    secrets: config.apiKey ? [config.apiKey] : [],
    policy: config.policy,
    tools: selectTools({ ...config.selection, readOnly: config.policy.readOnly }),
    secretFromEnv: readSecretEnv,
  };
}

function announce(config: Config, logger: RootLogger, transport: string) {
  logger.info("runpod-mcp starting", {
    version: VERSION,
    transport,
    mode: config.sandbox ? "sandbox (simulated RunPod, no real money)" : "live",
    api: config.sandbox ? "in-process simulator" : config.restBaseUrl,
  });
}
