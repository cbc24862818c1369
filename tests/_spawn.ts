/**
 * Helpers for tests that run the server as a separate process, as a real MCP client would.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { Client, createStdioClientTransport } from "../src/deps_client.ts";

/** The repository root. */
export const ROOT = new URL("../", import.meta.url);

/** Path of the Deno binary running the tests. */
export const DENO = Deno.execPath();

/**
 * What a spawned `deno` needs from this environment to find its cache and reach the package
 * registry: TLS trust (a proxy CA here), proxies, the cache folder and the registry. Nothing else
 * passes, so the server under test sees none of the machine's other variables. Without these, a
 * fresh machine's child `deno` downloads into an empty cache and fails TLS with `UnknownIssuer`.
 */
export const TOOLCHAIN_ENV_NAMES: readonly string[] = [
  "PATH",
  "HOME",
  "DENO_DIR",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NODE_EXTRA_CA_CERTS",
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "NO_PROXY",
  "no_proxy",
  "NPM_CONFIG_REGISTRY",
  "npm_config_registry",
  "DENO_NO_UPDATE_CHECK",
  // Windows: sockets need SYSTEMROOT; the cache and temp folders live under these.
  "SYSTEMROOT",
  "TEMP",
  "TMP",
  "USERPROFILE",
  "LOCALAPPDATA",
  "APPDATA",
];

/** The {@linkcode TOOLCHAIN_ENV_NAMES} that are set here, with their values. */
export function toolchainEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of TOOLCHAIN_ENV_NAMES) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * Runs `deno <args>` to completion with a scrubbed env ({@linkcode toolchainEnv} plus `env`) and
 * returns its exit code and output.
 */
export async function run(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string | URL } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(DENO, {
    args,
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...toolchainEnv(), ...options.env },
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A real SDK client connected over stdio to a spawned server process. */
export interface SpawnedServer {
  client: Client;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Errors the client transport reported (e.g. non-protocol bytes on stdout). */
  transportErrors: Error[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Spawns `deno <args>` and connects an SDK client to it over stdio. */
export async function spawnServer(
  args: string[],
  env: Record<string, string> = {},
): Promise<SpawnedServer> {
  const transport = await createStdioClientTransport({
    command: DENO,
    args,
    cwd: fileURLToPath(ROOT),
    env: { NO_COLOR: "1", ...toolchainEnv(), ...env },
    stderr: "pipe",
  });
  let stderrText = "";
  transport.stderr?.on("data", (chunk: Uint8Array | string) => {
    stderrText += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
  });
  const transportErrors: Error[] = [];
  // The era follows the run (env RUNPOD_MCP_TEST_ERA), so stdio is covered in both.
  const modern = Deno.env.get("RUNPOD_MCP_TEST_ERA") === "modern";
  const client = new Client(
    { name: "runpod-mcp-e2e", version: "1.0.0" },
    {
      capabilities: {},
      ...(modern ? { versionNegotiation: { mode: { pin: "2026-07-28" as const } } } : {}),
    },
  );
  client.onerror = (error) => transportErrors.push(error);
  await client.connect(transport);
  const close = async () => {
    await client.close();
  };
  return {
    client,
    stderr: () => stderrText,
    transportErrors,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The build flags of the `compile` task in deno.json: `--bundle --minify`, so the binary embeds
 * one minified file (esbuild's) instead of the module graph and the npm tree. Measured with the
 * stand-in below: the minified bundle answered `initialize` in about 0.78× the time of the
 * unminified one, which V8 must read and compile in full at every start.
 */
export async function compileBuildFlags(): Promise<string[]> {
  return (await compileTaskWords()).filter((word) => word === "--bundle" || word === "--minify");
}

/** The words of the `compile` task in deno.json. */
async function compileTaskWords(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  return (config.tasks.compile as string).split(/\s+/);
}

/**
 * The `deno bundle` arguments that stand in for `deno compile` here, where it cannot run: the
 * same entry point and the same esbuild minification the compile task asks for.
 */
export async function bundleArgs(out: string): Promise<string[]> {
  const minify = (await compileBuildFlags()).includes("--minify") ? ["--minify"] : [];
  return ["bundle", "--quiet", "--platform=deno", ...minify, "-o", out, "main.ts"];
}

/**
 * The run-time flags of the `compile` task in deno.json, exactly what the binary gets: its
 * permissions and its V8 flags.
 */
export async function compilePermissionFlags(): Promise<string[]> {
  return (await compileTaskWords()).filter((word) =>
    /^--(allow|deny)-[a-z-]+(=.*)?$/.test(word) || word === "--no-prompt" ||
    word.startsWith("--v8-flags=")
  );
}
