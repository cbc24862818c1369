/**
 * The worked examples run: every `examples/*.ts` that exports `meta` and `run` is replayed in
 * process, and its transcript must equal the committed `docs/examples/<kebab-name>.md` and leave
 * no pod billing at the end.
 *
 * The examples always speak the 2025 era over an in-memory pair with a seeded simulator, so the
 * transcript is the same whatever `RUNPOD_MCP_TEST_ERA` says.
 */

import assert from "node:assert/strict";
import {
  type ExampleMeta,
  type ExampleRun,
  record,
  transcriptFileName,
  transcriptUrl,
} from "../examples/_session.ts";

const EXAMPLES_DIR = new URL("../examples/", import.meta.url);

/** Example modules: `examples/*.ts`, not private helpers (`_*`) and not the demo app. */
function exampleFiles(): string[] {
  return [...Deno.readDirSync(EXAMPLES_DIR)]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => e.name)
    .filter((name) => !name.startsWith("_") && name !== "demo_app.ts")
    .sort();
}

interface ExampleModule {
  meta?: ExampleMeta;
  run?: ExampleRun;
}

Deno.test("examples/ holds at least one worked example with meta and run", async () => {
  let found = 0;
  for (const file of exampleFiles()) {
    const module: ExampleModule = await import(new URL(file, EXAMPLES_DIR).href);
    if (module.meta && module.run) found++;
  }
  assert.ok(found > 0, "no example module exports both meta and run");
});

for (const file of exampleFiles()) {
  Deno.test(`examples/${file} replays to its committed transcript and stops its pods`, async () => {
    const module: ExampleModule = await import(new URL(file, EXAMPLES_DIR).href);
    if (!module.meta || !module.run) return;
    const { meta, run } = module;
    assert.equal(
      `${meta.name}.ts`,
      file,
      `meta.name of examples/${file} must be its file name without .ts`,
    );
    const { transcript, session } = await record(meta, run);
    try {
      let committed: string | undefined;
      try {
        committed = await Deno.readTextFile(transcriptUrl(meta.name));
      } catch {
        committed = undefined;
      }
      const regenerate =
        `docs/examples/${transcriptFileName(meta.name)} is missing or out of date: ` +
        `regenerate it with \`deno run -A examples/${file}\` and review the diff`;
      assert.ok(committed !== undefined, regenerate);
      assert.equal(transcript, committed, regenerate);

      const billing = [...session.simulator.state.pods.values()]
        .filter((pod) =>
          pod.status === "RUNNING" || pod.status === "STARTING" ||
          pod.status === "PROVISIONING"
        )
        .map((pod) => `${pod.id} (${pod.status})`);
      assert.deepEqual(
        billing,
        [],
        `examples/${file} must end with cleanup: these pods are still billing`,
      );
    } finally {
      await session.close();
    }
  });
}
