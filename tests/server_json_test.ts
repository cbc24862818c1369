/**
 * The MCP registry entry: the committed template, a filled one, and the fill script's refusals.
 * The rules are `REGISTRY_RULES` (the registry's documented rules, as no copy of its published
 * schema can be had from a package registry), checked with Ajv.
 */
import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { bundleFileName, type Target, TARGETS, USER_CONFIG } from "../packaging/mcpb.ts";
import {
  buildTemplate,
  fillServerJson,
  parseSums,
  REGISTRY_RULES,
  registryEnvVar,
  registryProblems,
  SCHEMA_URL,
  schemaProblems,
  type ServerJson,
} from "../packaging/server_json.ts";
import { ROOT, run } from "./_spawn.ts";

const template: ServerJson = JSON.parse(
  await Deno.readTextFile(new URL("packaging/server.json", ROOT)),
);

const REPOSITORY = "Example-Org/runpod-mcp";

/** A SHA256SUMS text for every bundle (and a binary, as a release lists those too). */
function sumsFor(files: readonly string[]): string {
  const hex = (i: number) => i.toString(16).padStart(2, "0").repeat(32);
  return [...files, "runpod-mcp-x86_64-unknown-linux-gnu"]
    .map((file, i) => `${hex(i + 1)}  dist/${file}`)
    .join("\n") + "\n";
}

const BUNDLES = (Object.keys(TARGETS) as Target[]).map(bundleFileName);

Deno.test("packaging/server.json is the template the bundle tables make", () => {
  assert.deepEqual(
    template,
    buildTemplate(),
    "run: deno run -A packaging/server_json.ts template > packaging/server.json && deno fmt packaging/server.json",
  );
});

Deno.test("the template follows the registry's rules", () => {
  assert.deepEqual(registryProblems(template), []);
  assert.equal(template.$schema, SCHEMA_URL);
  assert.equal(REGISTRY_RULES.$schema, "http://json-schema.org/draft-07/schema#");
});

Deno.test("the template has one mcpb package per release bundle, each with the bundle's settings", () => {
  assert.deepEqual(
    template.packages.map((pkg) => new URL(pkg.identifier).pathname.split("/").pop()),
    BUNDLES,
  );
  for (const pkg of template.packages) {
    assert.equal(pkg.registryType, "mcpb");
    assert.deepEqual(pkg.transport, { type: "stdio" });
    assert.deepEqual(pkg.environmentVariables, USER_CONFIG.map(registryEnvVar));
  }
  const key = template.packages[0]!.environmentVariables.find((env) =>
    env.name === "RUNPOD_API_KEY"
  );
  assert.equal(key?.isSecret, true);
});

Deno.test("the release workflow builds exactly the targets that have bundles", async () => {
  const workflow = await Deno.readTextFile(new URL(".github/workflows/release.yml", ROOT));
  const targets = new Set(
    workflow.match(/\b[a-z0-9_]+-(?:unknown-linux-gnu|apple-darwin|pc-windows-msvc)\b/g) ?? [],
  );
  assert.deepEqual([...targets].sort(), Object.keys(TARGETS).sort());
});

Deno.test("a filled entry follows the registry's rules and points at the release's bundles", () => {
  const filled = fillServerJson({
    template,
    version: `v${denoJson.version}`,
    sums: sumsFor(BUNDLES),
    repository: REPOSITORY,
  });
  assert.deepEqual(registryProblems(filled), []);
  assert.equal(filled.name, "io.github.Example-Org/runpod-mcp");
  assert.equal(filled.version, denoJson.version);
  assert.deepEqual(filled.repository, {
    url: `https://github.com/${REPOSITORY}`,
    source: "github",
  });
  const sums = parseSums(sumsFor(BUNDLES));
  filled.packages.forEach((pkg, i) => {
    assert.equal(
      pkg.identifier,
      `https://github.com/${REPOSITORY}/releases/download/v${denoJson.version}/${BUNDLES[i]}`,
    );
    assert.equal(pkg.version, denoJson.version);
    assert.equal(pkg.fileSha256, sums.get(BUNDLES[i]!));
  });
});

Deno.test("the fill refuses a bundle that has no sum, naming it", () => {
  const missing = BUNDLES[4]!;
  assert.throws(
    () =>
      fillServerJson({
        template,
        version: denoJson.version,
        sums: sumsFor(BUNDLES.filter((file) => file !== missing)),
        repository: REPOSITORY,
      }),
    new RegExp(`^Error: Cannot fill server.json: SHA256SUMS has no sum for ${missing}$`),
  );
});

Deno.test("the fill refuses another version than the server's, and a bad repository", () => {
  assert.throws(
    () =>
      fillServerJson({
        template,
        version: "9.9.9",
        sums: sumsFor(BUNDLES),
        repository: REPOSITORY,
      }),
    /version 9\.9\.9 is not deno\.json's/,
  );
  assert.throws(
    () =>
      fillServerJson({
        template,
        version: denoJson.version,
        sums: sumsFor(BUNDLES),
        repository: "not a repo",
      }),
    /is not owner\/name/,
  );
});

Deno.test("parseSums() reads sha256sum's output and refuses what is not", () => {
  const hex = "ab".repeat(32);
  assert.deepEqual(
    parseSums(`${hex.toUpperCase()}  dist/a.mcpb\n${hex} *b.mcpb\n\n`),
    new Map([["a.mcpb", hex], ["b.mcpb", hex]]),
  );
  assert.throws(() => parseSums("abc  a.mcpb\n"), /line 1: expected/);
  assert.throws(
    () => parseSums(`${hex}  a.mcpb\n${"cd".repeat(32)}  dist/a.mcpb\n`),
    /a\.mcpb has two different sums/,
  );
});

Deno.test("the registry rules refuse what the registry refuses", () => {
  const filled = fillServerJson({
    template,
    version: denoJson.version,
    sums: sumsFor(BUNDLES),
    repository: REPOSITORY,
  });
  const pkg = filled.packages[0]!;
  const broken: [string, unknown][] = [
    ["a description over 100 characters", { ...filled, description: "x".repeat(101) }],
    ["a name without a namespace", { ...filled, name: "runpod-mcp" }],
    ["a version range", { ...filled, version: "^0.1.0" }],
    ["an upper-case sum", { ...filled, packages: [{ ...pkg, fileSha256: "AB".repeat(32) }] }],
    ["a bundle without a sum", { ...filled, packages: [{ ...pkg, fileSha256: undefined }] }],
    ["a bundle outside a release", {
      ...filled,
      packages: [{ ...pkg, identifier: "https://example.com/runpod-mcp.mcpb" }],
    }],
    ["a package version that is not the server's", {
      ...filled,
      packages: [{ ...pkg, version: "0.0.1" }],
    }],
  ];
  for (const [what, doc] of broken) {
    const clean = JSON.parse(JSON.stringify(doc));
    assert.notDeepEqual(registryProblems(clean), [], `${what} passed`);
  }
});

/** `deno run` arguments of the fill script for the sums in `dir`, writing `dir/out`. */
function fillArgs(dir: string, out: string, ...extra: string[]): string[] {
  return [
    "run",
    "-A",
    "packaging/server_json.ts",
    "--version",
    denoJson.version,
    "--sums",
    `${dir}/SHA256SUMS`,
    "--out",
    `${dir}/${out}`,
    "--repository",
    REPOSITORY,
    ...extra,
  ];
}

Deno.test("the fill script writes server.json, and exits 1 naming a bundle with no sum", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runpod-mcp-server-json-" });
  try {
    await Deno.writeTextFile(`${dir}/SHA256SUMS`, sumsFor(BUNDLES));
    const ok = await run(
      [
        "run",
        "-A",
        "packaging/server_json.ts",
        "--version",
        `v${denoJson.version}`,
        "--sums",
        `${dir}/SHA256SUMS`,
        "--out",
        `${dir}/server.json`,
      ],
      { env: { GITHUB_REPOSITORY: REPOSITORY } },
    );
    assert.equal(ok.code, 0, ok.stderr);
    const written = JSON.parse(await Deno.readTextFile(`${dir}/server.json`));
    assert.deepEqual(registryProblems(written), []);
    assert.equal(written.name, "io.github.Example-Org/runpod-mcp");

    await Deno.writeTextFile(`${dir}/SHA256SUMS`, sumsFor(BUNDLES.slice(1)));
    const refused = await run(fillArgs(dir, "refused.json"));
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`has no sum for ${BUNDLES[0]}`));
    await assert.rejects(Deno.stat(`${dir}/refused.json`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A draft 2020-12 schema in the shape of the registry's: `$defs`, a required name pattern. */
const PUBLISHED_LIKE = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $defs: {
    Package: {
      type: "object",
      required: ["registryType", "identifier"],
      properties: { registryType: { type: "string" }, identifier: { type: "string" } },
    },
  },
  type: "object",
  required: ["name", "version", "packages"],
  properties: {
    name: { type: "string", pattern: "^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$" },
    version: { type: "string", maxLength: 255 },
    packages: { type: "array", items: { $ref: "#/$defs/Package" } },
  },
};

Deno.test("schemaProblems() checks an entry against a published-style 2020-12 schema", () => {
  const filled = fillServerJson({
    template,
    version: denoJson.version,
    sums: sumsFor(BUNDLES),
    repository: REPOSITORY,
  });
  assert.deepEqual(schemaProblems(filled, PUBLISHED_LIKE), []);
  const broken = { ...filled, name: "no slash", packages: [{ registryType: "mcpb" }] };
  const problems = schemaProblems(broken, PUBLISHED_LIKE).join("\n");
  assert.match(problems, /\/name must match pattern/);
  assert.match(problems, /\/packages\/0 must have required property 'identifier'/);
});

Deno.test("the fill script with --schema refuses an entry the schema refuses, writing nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runpod-mcp-server-json-" });
  try {
    await Deno.writeTextFile(`${dir}/SHA256SUMS`, sumsFor(BUNDLES));
    const strict = {
      ...PUBLISHED_LIKE,
      properties: { ...PUBLISHED_LIKE.properties, title: false },
    };
    await Deno.writeTextFile(`${dir}/schema.json`, JSON.stringify(strict));
    await Deno.writeTextFile(`${dir}/ok-schema.json`, JSON.stringify(PUBLISHED_LIKE));
    const ok = await run(fillArgs(dir, "ok.json", "--schema", `${dir}/ok-schema.json`));
    assert.equal(ok.code, 0, ok.stderr);
    const refused = await run(fillArgs(dir, "refused.json", "--schema", `${dir}/schema.json`));
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /breaks the schema .*\/title/);
    await assert.rejects(Deno.stat(`${dir}/refused.json`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
