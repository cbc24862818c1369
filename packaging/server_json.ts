/**
 * The MCP registry entry (`server.json`): one `mcpb` package per release bundle, with its download
 * URL and SHA-256. `packaging/server.json` is the template, made by {@linkcode buildTemplate} from
 * the bundle's tables (a test keeps it current); a release fills in the version, the GitHub
 * repository and each bundle's sum.
 *
 * ```sh
 * deno run -A packaging/server_json.ts --version 0.1.0 --sums dist/SHA256SUMS --out dist/server.json \
 *   [--repository owner/name] [--template packaging/server.json]
 * deno run -A packaging/server_json.ts template > packaging/server.json
 * ```
 *
 * `--repository` defaults to env `GITHUB_REPOSITORY`, which GitHub Actions sets; its owner names the
 * registry namespace (`io.github.<owner>/runpod-mcp`, spelled as GitHub spells it). SHA256SUMS
 * holds `<sha256>  <file>` lines, as `sha256sum` writes them. The fill refuses when a bundle has no
 * sum, when the version is not deno.json's (the version the server reports), or when the result
 * breaks a rule of {@linkcode REGISTRY_RULES}.
 *
 * No copy of the registry's published JSON schema could be had from a package registry, so
 * {@linkcode REGISTRY_RULES} states the registry's documented rules for what this file uses, as
 * a JSON schema of our own, stricter where this project chooses to be.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Ajv } from "ajv/dist/ajv.js";
import type { ErrorObject } from "ajv/dist/ajv.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import type { FormatsPlugin } from "ajv-formats";
import denoJson from "../deno.json" with { type: "json" };
import { SETTINGS } from "../src/settings.ts";
import {
  bundleFileName,
  type Target,
  TARGETS,
  USER_CONFIG,
  userConfigOption,
  type UserConfigRow,
} from "./mcpb.ts";
import { runScript, UsageError } from "./_cli.ts";

/** The registry schema release this file follows. */
export const SCHEMA_URL =
  "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";

/** The repository the template names until a release fills in the real one. */
export const TEMPLATE_REPOSITORY = "OWNER/runpod-mcp";

/** The version the template carries until a release fills in the real one. */
export const TEMPLATE_VERSION = "0.0.0";

/** The server's name after the namespace. */
const SERVER_NAME = "runpod-mcp";

/** An environment variable a registry client may ask the user for. */
export interface RegistryEnvVar {
  name: string;
  description: string;
  isRequired: boolean;
  isSecret: boolean;
  format: "string" | "number" | "boolean";
  default?: string;
  choices?: string[];
}

/** One `mcpb` package of the entry. */
export interface McpbPackage {
  registryType: "mcpb";
  identifier: string;
  version: string;
  fileSha256: string;
  transport: { type: "stdio" };
  environmentVariables: RegistryEnvVar[];
}

/** The parts of `server.json` this project writes. */
export interface ServerJson {
  $schema: string;
  name: string;
  title: string;
  description: string;
  version: string;
  repository: { url: string; source: "github" };
  packages: McpbPackage[];
}

/** The release asset URL of a bundle. */
export function releaseUrl(repository: string, version: string, file: string): string {
  return `https://github.com/${repository}/releases/download/v${version}/${file}`;
}

/** How the registry describes one bundle setting: the same rows the bundle's manifest uses. */
export function registryEnvVar(row: UserConfigRow): RegistryEnvVar {
  const option = userConfigOption(row);
  const setting = SETTINGS[row.setting];
  const kind = setting.type.kind;
  const format = kind === "boolean" ? "boolean" : kind === "number" ? "number" : "string";
  const fallback = option.default === undefined || option.default === ""
    ? {}
    : { default: String(option.default) };
  return {
    name: setting.env,
    description: row.description,
    isRequired: false,
    isSecret: option.sensitive === true,
    format,
    ...fallback,
    ...(setting.type.kind === "choice" ? { choices: [...setting.type.choices] } : {}),
  };
}

/** The template: every bundle, with placeholders for the repository, version and sums. */
export function buildTemplate(): ServerJson {
  const repository = TEMPLATE_REPOSITORY;
  const version = TEMPLATE_VERSION;
  const environmentVariables = USER_CONFIG.map(registryEnvVar);
  return {
    $schema: SCHEMA_URL,
    name: `io.github.${repository.split("/")[0]}/${SERVER_NAME}`,
    title: "RunPod",
    description:
      "Run a RunPod GPU cloud account: pods, serverless jobs and spend, with caps and confirmations",
    version,
    repository: { url: `https://github.com/${repository}`, source: "github" },
    packages: (Object.keys(TARGETS) as Target[]).map((target) => ({
      registryType: "mcpb",
      identifier: releaseUrl(repository, version, bundleFileName(target)),
      version,
      fileSha256: "0".repeat(64),
      transport: { type: "stdio" },
      environmentVariables,
    })),
  };
}

/**
 * The registry's documented rules for the fields this file uses (schema release
 * {@linkcode SCHEMA_URL}, the official registry's publishing requirements and its MCPB package
 * rules), as a draft-07 JSON schema. Stricter than the registry where this project chooses:
 * unknown fields are refused, versions are semver, and every package is an MCPB bundle.
 */
export const REGISTRY_RULES = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  additionalProperties: false,
  required: ["$schema", "name", "description", "version", "packages"],
  properties: {
    $schema: { const: SCHEMA_URL },
    // Reverse-DNS namespace, one slash, then the server's own name.
    name: {
      type: "string",
      minLength: 3,
      maxLength: 200,
      pattern: "^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$",
    },
    title: { type: "string", minLength: 1, maxLength: 100 },
    description: { type: "string", minLength: 1, maxLength: 100 },
    version: { $ref: "#/definitions/version" },
    repository: {
      type: "object",
      additionalProperties: false,
      required: ["url", "source"],
      properties: {
        url: { type: "string", format: "uri" },
        source: { type: "string", minLength: 1 },
        id: { type: "string" },
        subfolder: { type: "string" },
      },
    },
    websiteUrl: { type: "string", format: "uri" },
    packages: { type: "array", minItems: 1, items: { $ref: "#/definitions/mcpbPackage" } },
  },
  definitions: {
    // The registry rejects ranges and "latest"; this project also wants semver.
    version: {
      type: "string",
      maxLength: 255,
      pattern: "^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$",
    },
    mcpbPackage: {
      type: "object",
      additionalProperties: false,
      required: ["registryType", "identifier", "fileSha256", "transport"],
      properties: {
        registryType: { const: "mcpb" },
        // A GitHub or GitLab release asset, and the URL must contain "mcp".
        identifier: {
          type: "string",
          format: "uri",
          allOf: [
            {
              pattern:
                "^https://(github\\.com/[^/]+/[^/]+/releases/download/[^/]+/[^/]+|gitlab\\.com/.+/-/releases/.+)$",
            },
            { pattern: "mcp" },
          ],
        },
        version: { $ref: "#/definitions/version" },
        fileSha256: { type: "string", pattern: "^[a-f0-9]{64}$" },
        transport: {
          type: "object",
          additionalProperties: false,
          required: ["type"],
          properties: { type: { const: "stdio" } },
        },
        environmentVariables: { type: "array", items: { $ref: "#/definitions/envVar" } },
      },
    },
    envVar: {
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: {
        name: { type: "string", minLength: 1 },
        description: { type: "string" },
        isRequired: { type: "boolean" },
        isSecret: { type: "boolean" },
        format: { enum: ["string", "number", "boolean", "filepath"] },
        default: { type: "string" },
        placeholder: { type: "string" },
        choices: { type: "array", items: { type: "string" } },
      },
    },
  },
} as const;

const addFormats = ((formatsModule as unknown as { default?: FormatsPlugin }).default ??
  formatsModule) as unknown as FormatsPlugin;

let validator: ReturnType<Ajv["compile"]> | undefined;

function describeError(error: ErrorObject): string {
  return `${error.instancePath || "/"} ${error.message ?? "is invalid"}`;
}

/**
 * Every way `doc` breaks `schema`, a JSON Schema such as the registry's published
 * `server.schema.json` (draft 2020-12 or draft-07). Unknown keywords are allowed: the published
 * schema is not ours to tighten. Empty when it passes.
 */
export function schemaProblems(doc: unknown, schema: Record<string, unknown>): string[] {
  const draft2020 = String(schema.$schema ?? "").includes("2020-12");
  const ajv = draft2020
    ? new Ajv2020({ allErrors: true, strict: false })
    : new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return validate(doc) ? [] : (validate.errors ?? []).map(describeError);
}

/**
 * Every way `doc` breaks {@linkcode REGISTRY_RULES}, plus the rules a schema cannot state: a
 * package's version is the server's, and a default is one of the choices. Empty when it passes.
 */
export function registryProblems(doc: unknown): string[] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    validator = ajv.compile(REGISTRY_RULES);
  }
  if (!validator(doc)) return (validator.errors ?? []).map(describeError);
  const entry = doc as ServerJson;
  const problems: string[] = [];
  entry.packages.forEach((pkg, i) => {
    if (pkg.version !== undefined && pkg.version !== entry.version) {
      problems.push(`/packages/${i}/version ${pkg.version} is not the server's ${entry.version}`);
    }
    for (const env of pkg.environmentVariables ?? []) {
      if (env.choices && env.default !== undefined && !env.choices.includes(env.default)) {
        problems.push(`/packages/${i} ${env.name}'s default ${env.default} is not a choice`);
      }
    }
  });
  return problems;
}

/**
 * Reads a SHA256SUMS text (`<sha256>  <file>`, or `<sha256> *<file>`) into file name → sum. A
 * file's folder is dropped, so `dist/x.mcpb` and `x.mcpb` are the same file.
 */
export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!match) {
      throw new Error(`Cannot read SHA256SUMS line ${index + 1}: expected "<sha256>  <file>"`);
    }
    const file = match[2]!.trim().split(/[\\/]/).pop()!;
    const sum = match[1]!.toLowerCase();
    const known = sums.get(file);
    if (known !== undefined && known !== sum) {
      throw new Error(`Cannot read SHA256SUMS: ${file} has two different sums`);
    }
    sums.set(file, sum);
  });
  return sums;
}

/** What {@linkcode fillServerJson} fills in. */
export interface FillOptions {
  template: ServerJson;
  /** The release version, with or without a leading `v`. */
  version: string;
  /** The text of SHA256SUMS. */
  sums: string;
  /** `owner/name` on GitHub. */
  repository: string;
}

/** The file a package's download URL ends in. */
function fileOf(identifier: string): string {
  return new URL(identifier).pathname.split("/").pop() ?? "";
}

/**
 * The template with the release's version, repository and sums filled in. Throws, saying why,
 * when a bundle has no sum, the version is not deno.json's, or the result breaks a registry rule.
 */
export function fillServerJson(options: FillOptions): ServerJson {
  const version = options.version.replace(/^v/, "");
  if (version !== denoJson.version) {
    throw new Error(
      `Cannot fill server.json: version ${version} is not deno.json's ${denoJson.version}, which the server reports`,
    );
  }
  const repository = options.repository;
  if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repository)) {
    throw new Error(`Cannot fill server.json: repository "${repository}" is not owner/name`);
  }
  const sums = parseSums(options.sums);
  const files = options.template.packages.map((pkg) => fileOf(pkg.identifier));
  const missing = files.filter((file) => !sums.has(file));
  if (missing.length > 0) {
    throw new Error(`Cannot fill server.json: SHA256SUMS has no sum for ${missing.join(", ")}`);
  }
  const filled: ServerJson = {
    ...options.template,
    name: `io.github.${repository.split("/")[0]}/${options.template.name.split("/")[1]}`,
    version,
    repository: { url: `https://github.com/${repository}`, source: "github" },
    packages: options.template.packages.map((pkg, i) => ({
      ...pkg,
      identifier: releaseUrl(repository, version, files[i]!),
      version,
      fileSha256: sums.get(files[i]!)!,
    })),
  };
  const problems = registryProblems(filled);
  if (problems.length > 0) {
    throw new Error(
      `Cannot fill server.json: the result breaks registry rules: ${problems.join("; ")}`,
    );
  }
  return filled;
}

const USAGE = `Usage:
  deno run -A packaging/server_json.ts --version V --sums SHA256SUMS --out server.json [--repository owner/name] [--template FILE] [--schema FILE]
  deno run -A packaging/server_json.ts template
--repository defaults to env GITHUB_REPOSITORY. --schema also validates the result against a JSON
Schema file, e.g. the registry's published server.schema.json.`;

const TEMPLATE_FILE = new URL("./server.json", import.meta.url);

async function runCli(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      version: { type: "string" },
      sums: { type: "string" },
      out: { type: "string" },
      repository: { type: "string" },
      template: { type: "string" },
      schema: { type: "string" },
    },
  });
  if (positionals[0] === "template" && positionals.length === 1) {
    console.log(JSON.stringify(buildTemplate(), null, 2));
    return;
  }
  if (positionals.length > 0) {
    throw new UsageError(`Cannot fill server.json: unexpected argument ${positionals[0]}`);
  }
  const repository = values.repository ?? Deno.env.get("GITHUB_REPOSITORY");
  if (!values.version || !values.sums || !values.out) {
    throw new UsageError("Cannot fill server.json: give --version, --sums and --out");
  }
  if (!repository) {
    throw new UsageError(
      "Cannot fill server.json: give --repository owner/name (or set GITHUB_REPOSITORY)",
    );
  }
  const template = JSON.parse(await Deno.readTextFile(values.template ?? TEMPLATE_FILE));
  const filled = fillServerJson({
    template,
    version: values.version,
    sums: await Deno.readTextFile(values.sums),
    repository,
  });
  if (values.schema) {
    const problems = schemaProblems(filled, JSON.parse(await Deno.readTextFile(values.schema)));
    if (problems.length > 0) {
      throw new Error(
        `Cannot fill server.json: the result breaks the schema ${values.schema}: ${
          problems.join("; ")
        }`,
      );
    }
  }
  await Deno.writeTextFile(values.out, JSON.stringify(filled, null, 2) + "\n");
  console.log(
    `server.json: wrote ${values.out} (${filled.name} ${filled.version}, ${filled.packages.length} bundles)`,
  );
}

if (import.meta.main) await runScript(() => runCli(Deno.args), USAGE);
