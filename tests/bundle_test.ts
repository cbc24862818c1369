/**
 * `deno compile` needs a runtime download that this workplace cannot make, so the binary's
 * contents are proven here instead: the same module graph, bundled into one file, run under
 * exactly the compile task's permission flags.
 */
import assert from "node:assert/strict";
import { ALLOW_ENV } from "../src/config.ts";
import { RunpodSimulator } from "../src/sandbox/mod.ts";
import { BINARY_LISTEN_ADDRESSES } from "../src/settings.ts";
import {
  bundleArgs,
  compileBuildFlags,
  compilePermissionFlags,
  DENO,
  ROOT,
  run,
  spawnServer,
  toolchainEnv,
} from "./_spawn.ts";

const flags = await compilePermissionFlags();

async function bundle(): Promise<{ file: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "runpod-mcp-bundle-" });
  const file = `${dir}/runpod-mcp.js`;
  const result = await run(await bundleArgs(file));
  assert.equal(result.code, 0, `deno bundle failed:\n${result.stderr}`);
  return { file, dir };
}

/** Whether nothing listens on `port` of 127.0.0.1 right now. */
function portIsFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("the compile task grants only RunPod's hosts, the HTTP listen addresses and RUNPOD_* env", () => {
  assert.ok(flags.includes("--no-prompt"));
  const envFlag = flags.find((f) => f.startsWith("--allow-env="));
  assert.equal(envFlag, `--allow-env=${ALLOW_ENV.join(",")}`);
  assert.ok(
    flags.includes(`--allow-net=api.runpod.io,api.runpod.ai,${BINARY_LISTEN_ADDRESSES.join(",")}`),
  );
  assert.deepEqual(
    flags.filter((f) => f.startsWith("--allow-")).map((f) => f.split("=")[0]).sort(),
    [
      "--allow-env",
      "--allow-net",
    ],
  );
});

Deno.test("the bundled server runs in sandbox mode under the binary's permission flags", async () => {
  const { file, dir } = await bundle();
  try {
    await using server = await spawnServer([
      "run",
      "--no-config",
      "--no-lock",
      ...flags,
      file,
      "--sandbox",
    ]);
    const { tools } = await server.client.listTools();
    assert.ok(tools.some((t) => t.name === "list_gpu_types"));
    const result = await server.client.callTool({ name: "list_gpu_types", arguments: {} });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    assert.ok((result.structuredContent as { count: number }).count > 10);
    assert.deepEqual(server.transportErrors, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the bundled server cannot reach any host but RunPod's", async () => {
  const sim = new RunpodSimulator();
  const { url, close } = await sim.listen();
  const { file, dir } = await bundle();
  const key = "rpa_BUNDLEKEY0000000000";
  try {
    await using server = await spawnServer(
      ["run", "--no-config", "--no-lock", ...flags, file],
      { RUNPOD_API_KEY: key, RUNPOD_API_BASE_URL: url, RUNPOD_GRAPHQL_URL: `${url}/graphql` },
    );
    const result = await server.client.callTool({ name: "list_pods", arguments: {} });
    assert.equal(result.isError, true);
    const text = JSON.stringify(result.content);
    assert.match(text, /Cannot reach RunPod.*only reach RunPod's own hosts/);
    assert.ok(!text.includes(key));
    assert.equal(sim.requests.length, 0, "a request escaped the sandbox");
  } finally {
    await close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("under the binary's flags, --http elsewhere or with Redis exits 1 saying what is allowed", async () => {
  const { file, dir } = await bundle();
  try {
    const result = await run(
      ["run", "--no-config", "--no-lock", ...flags, file, "--sandbox", "--http", "--port", "8081"],
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Cannot listen on 127\.0\.0\.1:8081/);
    assert.match(result.stderr, /127\.0\.0\.1:8080 and 0\.0\.0\.0:8080/);
    // Shared state in Redis is a host the binary may not reach either: it says how to run instead.
    const redis = await run(
      ["run", "--no-config", "--no-lock", ...flags, file, "--sandbox", "--http"],
      { env: { RUNPOD_MCP_STATE_URL: "redis://127.0.0.1:6399" } },
    );
    assert.equal(redis.code, 1, redis.stderr);
    assert.match(redis.stderr, /Cannot connect to the shared state/);
    assert.match(
      redis.stderr,
      /run the server with deno run and an --allow-net that names the Redis/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "under the binary's flags, --http serves on 127.0.0.1:8080 and stops on SIGTERM",
  // Windows has no SIGTERM to send.
  ignore: Deno.build.os === "windows",
}, async () => {
  if (!portIsFree(8080)) {
    console.warn("NOTICE: 127.0.0.1:8080 is busy here; the binary's HTTP listen test did not run");
    return;
  }
  const { file, dir } = await bundle();
  const child = new Deno.Command(DENO, {
    args: ["run", "--no-config", "--no-lock", ...flags, file, "--sandbox", "--http"],
    env: { NO_COLOR: "1", ...toolchainEnv() },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let seen = "";
    while (!seen.includes("serving MCP over Streamable HTTP")) {
      const next = await stderr.read();
      assert.ok(!next.done, `the server ended before listening:\n${seen}`);
      seen += next.value;
    }
    const health = await fetch("http://127.0.0.1:8080/healthz");
    assert.equal(health.status, 200);
    assert.equal((await health.json()).mode, "sandbox");
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
  } finally {
    await stderr.cancel().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno bundle sees the same entry point and minification as the compile task", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.match(config.tasks.compile, /\smain\.ts$/);
  assert.deepEqual(await compileBuildFlags(), ["--bundle", "--minify"]);
  const args = await bundleArgs("out.js");
  assert.ok(args.includes("--minify") && args.at(-1) === "main.ts", args.join(" "));
  assert.ok(config.tasks.bundle.includes(" --minify "), config.tasks.bundle);
  assert.ok(DENO.length > 0);
});

Deno.test("the workflows compile with the compile task's build and run-time flags", async () => {
  // Both workflows print the flags through tests/_spawn.ts and pass them all to deno compile.
  for (const workflow of ["ci.yml", "release.yml"]) {
    const text = await Deno.readTextFile(new URL(`.github/workflows/${workflow}`, ROOT));
    const compiles = text.split("\n").filter((line) => /^\s*deno compile /.test(line));
    assert.ok(compiles.length > 0, `${workflow} has no deno compile line`);
    for (const line of compiles) assert.match(line, /^\s*deno compile "\$\{flags\[@\]\}" /, line);
    assert.match(
      text,
      /\[\.\.\.await compileBuildFlags\(\), \.\.\.await compilePermissionFlags\(\)\]/,
      `${workflow} does not read the build flags`,
    );
  }
});
