/**
 * Smoke test for a built server: a compiled binary, the bundle run under the compile task's
 * permission flags, or a container image. A real SDK client talks to it over stdio.
 *
 * ```sh
 * deno run -A packaging/smoke.ts [--expect-version 0.1.0] [--timeout 120] -- <command> [args...]
 * deno run -A packaging/smoke.ts -- dist/runpod-mcp
 * deno run -A packaging/smoke.ts -- docker run -i --rm ghcr.io/OWNER/runpod-mcp:0.1.0
 * ```
 *
 * It checks, in order:
 * - `<command> --version` prints `runpod-mcp <version>` (deno.json's version unless told);
 * - `<command> --sandbox`, in both protocol eras: the handshake names the server and version,
 *   tools/list offers exactly the registry's tools, and `list_gpu_types` answers;
 * - `<command>` with a dummy key and every RunPod URL pointing at a host that is not RunPod's:
 *   `list_pods` is refused by Deno's permission check, so the host is never contacted.
 *
 * The server inherits this environment without any `RUNPOD_*` variable (those are the only ones
 * it reads), so a real key or setting here never changes what is tested, while the toolchain's
 * (TLS trust, proxies, cache, Windows' system variables) still pass. A `docker run` or
 * `podman run` command is given matching `--env NAME` options so the values reach the container.
 *
 * Prints one `ok` line per check and a summary; exits 1 on the first failed check, saying which
 * and why, with the end of the server's stderr; exits 2 on bad usage.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { Client, createStdioClientTransport } from "../src/deps_client.ts";
import { ALL_TOOLS } from "../src/tools/mod.ts";

/** What a smoke run needs to know besides the command. */
export interface SmokeOptions {
  /** The version the server must report. */
  expectVersion: string;
  /** Seconds for the whole run before it fails. */
  timeoutSeconds: number;
}

type Era = "legacy" | "modern";

const MODERN_VERSION = "2026-07-28";
const DENIED_ORIGIN = "https://example.com";
const DUMMY_KEY = "rpa_SMOKETESTDUMMYKEY0000000000";
/** What the server answers when Deno's permission check refuses a connection (src/tools/errors.ts). */
const DENIAL_TEXT = /only reach RunPod's own hosts/;
const CONTAINER_CLIS = new Set(["docker", "podman"]);

/** A check that failed; its message says which and why. */
export class SmokeFailure extends Error {
  override name = "SmokeFailure";
}

/** Runs every check against `command`; throws {@linkcode SmokeFailure} on the first failure. */
export async function smoke(command: string[], options: SmokeOptions): Promise<void> {
  await checkVersionFlag(command, options.expectVersion);
  pass(`--version prints runpod-mcp ${options.expectVersion}`);
  for (const era of ["legacy", "modern"] as const) {
    await withServer(command, ["--sandbox"], {}, era, async (client) => {
      checkHandshake(client, era, options.expectVersion);
      const count = await checkToolList(client);
      await checkSandboxCall(client);
      pass(`--sandbox, ${era} era: handshake, ${count} tools, list_gpu_types answers`);
    });
  }
  const env = {
    RUNPOD_API_KEY: DUMMY_KEY,
    RUNPOD_API_BASE_URL: DENIED_ORIGIN,
    RUNPOD_SERVERLESS_API_URL: DENIED_ORIGIN,
    RUNPOD_GRAPHQL_URL: `${DENIED_ORIGIN}/graphql`,
  };
  await withServer(command, [], env, "legacy", checkDeniedHost);
  pass(`live mode: list_pods to ${DENIED_ORIGIN} is refused by the permission check`);
}

async function checkVersionFlag(command: string[], expected: string): Promise<void> {
  const { program, args } = launch(command, ["--version"], {});
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      env: childEnv({}),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new SmokeFailure(`Cannot start ${program}: ${messageOf(error)}`);
  }
  stopOnTimeout = () => killQuietly(child.pid);
  const output = await child.output();
  stopOnTimeout = () => {};
  const stdout = new TextDecoder().decode(output.stdout).trim();
  if (output.code !== 0 || stdout !== `runpod-mcp ${expected}`) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new SmokeFailure(
      `Cannot confirm --version: exit ${output.code}, stdout ${JSON.stringify(stdout)}, ` +
        `expected "runpod-mcp ${expected}"${stderr ? `\nstderr:\n${stderr}` : ""}`,
    );
  }
}

/** Starts the server, connects a client in `era`, runs `body`, and always stops the server. */
async function withServer(
  command: string[],
  extraArgs: string[],
  env: Record<string, string>,
  era: Era,
  body: (client: Client) => Promise<void>,
): Promise<void> {
  const { program, args } = launch(command, extraArgs, env);
  const transport = await createStdioClientTransport({
    command: program,
    args,
    env: childEnv(env),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array | string) => {
    stderr += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
  });
  const transportErrors: string[] = [];
  const client = new Client(
    { name: "runpod-mcp-smoke", version: "1.0.0" },
    {
      capabilities: {},
      ...(era === "modern" ? { versionNegotiation: { mode: { pin: MODERN_VERSION } } } : {}),
    },
  );
  client.onerror = (error) => transportErrors.push(messageOf(error));
  stopOnTimeout = () => killQuietly(transport.pid);
  try {
    await client.connect(transport);
    await body(client);
    // Anything but protocol messages on stdout shows up as a transport error.
    if (transportErrors.length > 0) {
      throw new SmokeFailure(`Cannot trust stdout: ${transportErrors.join("; ")}`);
    }
  } catch (error) {
    const what = error instanceof SmokeFailure
      ? error.message
      : `Cannot talk to the server: ${messageOf(error)}`;
    throw new SmokeFailure(`${what}\n${describeLaunch(program, args, era)}${tail(stderr)}`);
  } finally {
    await client.close().catch(() => {});
    stopOnTimeout = () => {};
  }
}

function checkHandshake(client: Client, era: Era, expectedVersion: string): void {
  const info = client.getServerVersion();
  if (info?.name !== "runpod-mcp" || info.version !== expectedVersion) {
    throw new SmokeFailure(
      `Cannot confirm the handshake: the server calls itself ${JSON.stringify(info)}, ` +
        `expected runpod-mcp ${expectedVersion}`,
    );
  }
  const negotiated = client.getProtocolEra();
  if (negotiated !== era) {
    throw new SmokeFailure(`Cannot confirm the handshake: negotiated the ${negotiated} era`);
  }
}

async function checkToolList(client: Client): Promise<number> {
  const { tools } = await client.listTools();
  const offered = new Set(tools.map((tool) => tool.name));
  const expected = ALL_TOOLS.map((tool) => tool.name);
  const missing = expected.filter((name) => !offered.has(name));
  const extra = [...offered].filter((name) => !expected.includes(name));
  if (missing.length > 0 || extra.length > 0) {
    throw new SmokeFailure(
      `Cannot confirm tools/list: missing [${missing.join(", ")}], unexpected [${
        extra.join(", ")
      }]`,
    );
  }
  return tools.length;
}

async function checkSandboxCall(client: Client): Promise<void> {
  const result = await client.callTool({ name: "list_gpu_types", arguments: {} });
  const count = (result.structuredContent as { count?: unknown } | undefined)?.count;
  if (result.isError === true || typeof count !== "number" || count < 1) {
    throw new SmokeFailure(
      `Cannot list GPU types in the sandbox: ${JSON.stringify(result.content).slice(0, 500)}`,
    );
  }
}

async function checkDeniedHost(client: Client): Promise<void> {
  const result = await client.callTool({ name: "list_pods", arguments: {} });
  const text = JSON.stringify(result.content);
  if (text.includes(DUMMY_KEY)) {
    throw new SmokeFailure("Cannot keep the key secret: the error result contains the API key");
  }
  if (result.isError !== true || !DENIAL_TEXT.test(text)) {
    throw new SmokeFailure(
      `Cannot confirm the network permission: list_pods against ${DENIED_ORIGIN} was not refused ` +
        `by Deno's permission check (expected ${DENIAL_TEXT}); got ${text.slice(0, 500)}`,
    );
  }
}

/**
 * The argv to start: `command` plus `extraArgs`, a path-like program made absolute, and for
 * `docker run` / `podman run` an `--env NAME` per variable so the container sees it (the CLI
 * copies the value from its own environment, so it never appears on the command line).
 */
export function launch(
  command: string[],
  extraArgs: string[],
  env: Record<string, string>,
): { program: string; args: string[] } {
  const [program = "", ...args] = command;
  const base = program.replace(/\\/g, "/").split("/").pop()?.replace(/\.exe$/i, "") ?? "";
  if (CONTAINER_CLIS.has(base) && args[0] === "run") {
    const forwarded = Object.keys(env).flatMap((name) => ["--env", name]);
    return { program, args: ["run", ...forwarded, ...args.slice(1), ...extraArgs] };
  }
  // A relative path with a directory part is resolved here, so no platform's process spawning
  // has to guess (Windows looks commands up differently).
  const absolute = /[\\/]/.test(program) ? resolve(program) : program;
  return { program: absolute, args: [...args, ...extraArgs] };
}

/** This process's environment without `RUNPOD_*`, plus `env`. */
function childEnv(env: Record<string, string>): Record<string, string> {
  const inherited = Object.entries(Deno.env.toObject()).filter(([name]) =>
    !name.toUpperCase().startsWith("RUNPOD_")
  );
  return { ...Object.fromEntries(inherited), NO_COLOR: "1", ...env };
}

function describeLaunch(program: string, args: string[], era: Era): string {
  return `command (${era} era): ${[program, ...args].join(" ")}`;
}

function tail(stderr: string): string {
  const lines = stderr.trimEnd().split("\n").slice(-20).join("\n");
  return lines ? `\nserver stderr (last lines):\n${lines}` : "\nserver stderr: (empty)";
}

function killQuietly(pid: number | null): void {
  if (pid === null) return;
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function pass(what: string): void {
  console.log(`ok   ${what}`);
}

let stopOnTimeout: () => void = () => {};

function usage(problem: string): never {
  console.error(
    `${problem}\nusage: deno run -A packaging/smoke.ts [--expect-version V] [--timeout SECONDS] -- <command> [args...]`,
  );
  Deno.exit(2);
}

function parseCommandLine(argv: string[]): [string[], SmokeOptions] {
  const split = argv.indexOf("--");
  if (split === -1) usage("Cannot find the server command: put it after --");
  const command = argv.slice(split + 1);
  if (command.length === 0) usage("Cannot find the server command: nothing follows --");
  let values;
  try {
    ({ values } = parseArgs({
      args: argv.slice(0, split),
      options: { "expect-version": { type: "string" }, timeout: { type: "string" } },
      strict: true,
    }));
  } catch (error) {
    usage(`Cannot read the options: ${messageOf(error)}`);
  }
  const timeoutSeconds = Number(values.timeout ?? "180");
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    usage(`Cannot use --timeout ${values.timeout}: give a positive number of seconds`);
  }
  const expectVersion = values["expect-version"] ?? denoJson.version;
  return [command, { expectVersion, timeoutSeconds }];
}

if (import.meta.main) {
  const [command, options] = parseCommandLine(Deno.args);
  console.log(`smoke: ${command.join(" ")}`);
  const started = Date.now();
  const watchdog = setTimeout(() => {
    console.error(`FAIL Cannot finish the smoke test within ${options.timeoutSeconds}s`);
    stopOnTimeout();
    Deno.exit(1);
  }, options.timeoutSeconds * 1000);
  try {
    await smoke(command, options);
  } catch (error) {
    console.error(`FAIL ${error instanceof SmokeFailure ? error.message : messageOf(error)}`);
    Deno.exit(1);
  } finally {
    clearTimeout(watchdog);
  }
  console.log(`smoke passed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
