import assert from "node:assert/strict";
import { run } from "./_spawn.ts";
import { HTTP_TOKEN, startHttpServer } from "./_http_server.ts";

/** The report lines every successful run prints, whatever the transport. */
function assertReport(stdout: string): void {
  assert.match(stdout, /^1\. GPU chosen: .+ \((\d+) GB VRAM\) at \$\d+\.\d\d\/GPU-hour/m);
  const vram = Number(/\((\d+) GB VRAM\)/.exec(stdout)?.[1]);
  assert.ok(vram >= 24, `chose a GPU with ${vram} GB`);
  assert.match(stdout, /^2\. Cost: \$\d+\.\d\d\/hour, \$\d+\.\d\d for 3 hours/m);
  assert.match(stdout, /Server asks: Confirmation needed: create_pod would create pod "demo-app"/);
  assert.match(stdout, /Answer: yes \(--yes\)/);
  assert.match(stdout, /^ {3}Pod created: (\w+) \(demo-app\)/m);
  assert.match(stdout, /^5\. Resource runpod:\/\/pods\/\w+: status [A-Z]+/m);
  assert.match(stdout, /^ {3}Terminated: \w+, status TERMINATED$/m);
  assert.doesNotMatch(stdout, /Stopped:|WARNING/);
}

Deno.test("examples/demo_app.ts --yes runs the pod workflow over stdio against the sandbox", async () => {
  // The sandbox boots a pod in 50 s of real time; a short wait keeps the test fast, and the
  // report says the pod was still starting.
  const result = await run(["run", "-A", "examples/demo_app.ts", "--yes", "--wait-s", "5"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^runpod-mcp demo over stdio: main\.ts --sandbox$/m);
  assert.match(result.stdout, /^Server: runpod-mcp \d+\.\d+\.\d+/m);
  assert.match(result.stdout, /^4\. Wait: timed_out, status (PROVISIONING|STARTING) after \d+ s$/m);
  assertReport(result.stdout);
});

Deno.test("examples/demo_app.ts --http runs the same workflow over Streamable HTTP", async () => {
  // The default for users (the helper's is "never"), so the demo meets the confirmations; the
  // server's clock is simulated, so the wait ends as soon as the pod is up.
  await using server = await startHttpServer({
    server: { policy: { readOnly: false, confirm: "billable-and-destructive" } },
  });
  const result = await run([
    "run",
    "-A",
    "examples/demo_app.ts",
    "--yes",
    "--wait-s",
    "300",
    "--http",
    server.url,
    "--token",
    HTTP_TOKEN,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^runpod-mcp demo over Streamable HTTP at http:\/\/127\.0\.0\.1/m);
  assert.match(result.stdout, /^4\. Wait: ready, status RUNNING after \d+ s$/m);
  assertReport(result.stdout);
});

Deno.test("examples/demo_app.ts without --yes and no terminal declines and rents nothing", async () => {
  const result = await run(["run", "-A", "examples/demo_app.ts"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Answer: no$/m);
  assert.match(result.stdout, /Not created: nothing was rented, nothing to clean up/);
  assert.doesNotMatch(result.stdout, /Pod created/);
});
