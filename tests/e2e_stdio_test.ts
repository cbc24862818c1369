import assert from "node:assert/strict";
import { VERSION } from "../src/cli.ts";
import { ALL_TOOLS } from "../src/tools/mod.ts";
import { compilePermissionFlags, run, spawnServer, TOOLCHAIN_ENV_NAMES } from "./_spawn.ts";

Deno.test("main.ts --sandbox serves tools over stdio to a real SDK client", async () => {
  const flags = await compilePermissionFlags();
  await using server = await spawnServer(["run", ...flags, "main.ts", "--sandbox"]);
  const info = server.client.getServerVersion();
  assert.equal(info?.name, "runpod-mcp");
  const era = Deno.env.get("RUNPOD_MCP_TEST_ERA") === "modern" ? "modern" : "legacy";
  assert.equal(server.client.getProtocolEra(), era);
  assert.equal(info?.version, VERSION);
  assert.match(server.client.getInstructions() ?? "", /SANDBOX MODE/);

  const { tools } = await server.client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ALL_TOOLS.map((t) => t.name));
  const result = await server.client.callTool({
    name: "list_gpu_types",
    arguments: { min_vram_gb: 24, available_only: true },
  });
  assert.notEqual(result.isError, true);
  const data = result.structuredContent as { gpus: { vram_gb: number; availability: string }[] };
  assert.ok(data.gpus.length > 0);
  assert.ok(data.gpus.every((g) => g.vram_gb >= 24 && g.availability !== "NONE"));

  const pods = await server.client.callTool({ name: "list_pods", arguments: {} });
  assert.equal((pods.structuredContent as { count: number }).count, 0);

  // Anything but protocol on stdout would have surfaced as a transport error.
  assert.deepEqual(server.transportErrors, []);
  assert.match(server.stderr(), /INFO runpod-mcp starting .*mode="sandbox/);
});

Deno.test("main.ts exits 2 naming RUNPOD_API_KEY and --sandbox when no key is set", async () => {
  const result = await run(["run", "--allow-env", "main.ts"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /Missing env RUNPOD_API_KEY/);
  assert.match(result.stderr, /--sandbox/);
});

Deno.test("main.ts exits 2 on a bad setting without printing the key", async () => {
  const key = "rpa_E2ESECRETKEY00000000";
  const result = await run(["run", "--allow-env", "main.ts", "--log-level", "chatty"], {
    env: { RUNPOD_API_KEY: key, RUNPOD_API_BASE_URL: "http://evil.example.com" },
  });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--log-level \(env RUNPOD_MCP_LOG_LEVEL\)/);
  assert.match(result.stderr, /--api-base-url \(env RUNPOD_API_BASE_URL\).*clear text/);
  assert.ok(!result.stderr.includes(key) && !result.stdout.includes(key));
});

Deno.test("main.ts prints --version and --help on stdout and exits 0", async () => {
  const version = await run(["run", "main.ts", "--version"]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout, `runpod-mcp ${VERSION}\n`);
  const help = await run(["run", "main.ts", "--help"]);
  assert.equal(help.code, 0);
  for (const word of ["--sandbox", "RUNPOD_API_KEY", "RUNPOD_API_BASE_URL", "--log-level"]) {
    assert.ok(help.stdout.includes(word), word);
  }
});

Deno.test("main.ts applies --read-only, --toolsets and caps from the command line", async () => {
  const flags = await compilePermissionFlags();
  await using server = await spawnServer([
    "run",
    ...flags,
    "main.ts",
    "--sandbox",
    "--toolsets",
    "catalog,pods",
    "--read-only",
  ]);
  const names = (await server.client.listTools()).tools.map((t) => t.name);
  assert.deepEqual(names, [
    "list_gpu_types",
    "recommend_gpu",
    "list_data_centers",
    "list_cpu_types",
    "list_pods",
    "get_pod",
    "wait_for_pod",
    "get_pod_logs",
  ]);

  await using capped = await spawnServer(
    ["run", ...flags, "main.ts", "--sandbox", "--max-hourly-cost", "0.05"],
    { RUNPOD_MCP_CONFIRM: "never" },
  );
  const refused = await capped.client.callTool({
    name: "create_pod",
    arguments: { name: "x", image: "ubuntu:24.04", gpu_type: "RTX 4090" },
  });
  assert.equal(refused.isError, true);
  assert.match(JSON.stringify(refused.content), /above the per-resource cap of \$0\.05\/h/);
});

Deno.test("a spawned deno sees only the toolchain's variables: TLS, proxies, cache, registry", async () => {
  const result = await run(
    ["eval", "console.log(JSON.stringify(Object.keys(Deno.env.toObject()).sort()))"],
    { env: { RUNPOD_API_KEY: "rpa_SPAWNKEY0000000000" } },
  );
  assert.equal(result.code, 0, result.stderr);
  const seen: string[] = JSON.parse(result.stdout);
  const allowed = new Set([...TOOLCHAIN_ENV_NAMES, "NO_COLOR", "RUNPOD_API_KEY"]);
  assert.deepEqual(seen.filter((name) => !allowed.has(name)), []);
  assert.ok(seen.includes("RUNPOD_API_KEY"), "the test's own env must still reach the child");
  for (const name of ["DENO_DIR", "NODE_EXTRA_CA_CERTS", "HTTPS_PROXY"]) {
    if (Deno.env.get(name) !== undefined) assert.ok(seen.includes(name), `${name} was dropped`);
  }
});
