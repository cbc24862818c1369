/**
 * `deno compile` needs a runtime download that this workplace cannot make, so the binary's
 * contents are proven here instead: the same module graph, bundled into one file, run under
 * exactly the compile task's permission flags.
 */
import assert from "node:assert/strict";
import { ALLOW_ENV } from "../src/config.ts";
import { RunpodSimulator } from "../src/sandbox/mod.ts";
import { compilePermissionFlags, DENO, ROOT, run, spawnServer } from "./_spawn.ts";

const flags = await compilePermissionFlags();

async function bundle(): Promise<{ file: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "runpod-mcp-bundle-" });
  const file = `${dir}/runpod-mcp.js`;
  const result = await run(["bundle", "--quiet", "--platform=deno", "-o", file, "main.ts"]);
  assert.equal(result.code, 0, `deno bundle failed:\n${result.stderr}`);
  return { file, dir };
}

Deno.test("the compile task grants only RunPod's hosts and the server's env vars", () => {
  assert.ok(flags.includes("--no-prompt"));
  const envFlag = flags.find((f) => f.startsWith("--allow-env="));
  assert.deepEqual(envFlag?.slice("--allow-env=".length).split(",").sort(), [...ALLOW_ENV].sort());
  assert.ok(flags.includes("--allow-net=api.runpod.io,api.runpod.ai"));
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

Deno.test("deno bundle sees the same entry point as the compile task", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.match(config.tasks.compile, /\smain\.ts$/);
  assert.ok(DENO.length > 0);
});
