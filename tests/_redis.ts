/**
 * A real, throwaway `redis-server` for tests: on a free loopback port, with no persistence, gone
 * when closed. CI installs it (`apt-get install redis-server`, see .ci/run; apt or brew in
 * .github/workflows/ci.yml).
 *
 * Windows has no redis-server (nor the SIGSTOP that {@linkcode RedisServer.pause} sends), so a
 * run there sets `RUNPOD_MCP_TEST_NO_REDIS=1`: every test declared with {@linkcode NEEDS_REDIS}
 * is then ignored (counted as such in Deno's summary) and a banner says so on stderr. Nothing is
 * skipped without that explicit setting, and a test that needs Redis but lacks the option fails.
 *
 * @module
 */

/** The env variable that, set to `1`, declares a run without redis-server. */
export const NO_REDIS_ENV = "RUNPOD_MCP_TEST_NO_REDIS";

/** True when this run was told, by {@linkcode NO_REDIS_ENV}, that it has no redis-server. */
export const REDIS_SKIPPED: boolean = Deno.env.get(NO_REDIS_ENV) === "1";

/**
 * Test options for a test that needs redis-server: `Deno.test(name, NEEDS_REDIS, fn)`.
 *
 * @example
 * ```ts
 * Deno.test("replicas share a claim", NEEDS_REDIS, async () => {
 *   const server = await startRedis();
 *   await server.close();
 * });
 * ```
 */
export const NEEDS_REDIS: { ignore: boolean } = { ignore: REDIS_SKIPPED };

if (REDIS_SKIPPED) {
  const bar = "!".repeat(78);
  console.error(
    [
      bar,
      `!! ${NO_REDIS_ENV}=1: the tests that need redis-server are IGNORED in this run`,
      "!! (Deno's summary counts them as ignored). Unset it to run them.",
      bar,
    ].join("\n"),
  );
}

/** A running redis-server. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Freezes the server (SIGSTOP): connections stay open but nothing answers. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  /** Stops the server and waits for it to exit. */
  close(): Promise<void>;
}

const READY_WITHIN_MS = 5_000;
const PORT_TRIES = 3;

/**
 * Starts `redis-server` on 127.0.0.1 and resolves once it answers PING. Tries another port when
 * the one picked was taken meanwhile. Throws, saying how to install it, when it is missing.
 */
export async function startRedis(): Promise<RedisServer> {
  if (REDIS_SKIPPED) {
    throw new Error(
      `Cannot start redis-server: ${NO_REDIS_ENV}=1 says this run has none; declare the test with NEEDS_REDIS`,
    );
  }
  let last = "";
  for (let attempt = 0; attempt < PORT_TRIES; attempt++) {
    const port = freePort();
    const child = spawn(port);
    const output = new Response(child.stdout).text();
    const stopped = child.status.then((s) => s);
    if (await answersPing(port, stopped)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        pause: () => child.kill("SIGSTOP"),
        resume: () => child.kill("SIGCONT"),
        close: async () => {
          try {
            child.kill("SIGCONT");
            child.kill("SIGTERM");
          } catch {
            // Already exited.
          }
          await stopped;
          await output;
        },
      };
    }
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    const status = await stopped;
    last = `exit code ${status.code}: ${(await output).trim().split("\n").slice(-3).join(" | ")}`;
  }
  throw new Error(`Cannot start redis-server after ${PORT_TRIES} tries (${last})`);
}

function spawn(port: number): Deno.ChildProcess {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  try {
    return new Deno.Command("redis-server", {
      args,
      // A clean environment: nothing from the test runner leaks into the server.
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        "Cannot start redis-server: it is not installed. Run `apt-get install redis-server` (as root, or with sudo); CI installs it in .ci/run",
      );
    }
    throw error;
  }
}

/** A port nothing listens on right now: bind port 0, read the port, let it go. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Polls PING until +PONG, the server exits, or the deadline passes. */
async function answersPing(port: number, stopped: Promise<Deno.CommandStatus>): Promise<boolean> {
  let exited = false;
  stopped.then(() => exited = true);
  const deadline = Date.now() + READY_WITHIN_MS;
  while (!exited && Date.now() < deadline) {
    if (await ping(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

async function ping(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(16);
    const n = await conn.read(buf);
    return n !== null && new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}
