/**
 * Account tools: the SSH public keys RunPod installs into new pods, and RunPod secrets. Neither a
 * whole key nor a secret value is ever shown: keys appear as SHA256 fingerprints and comments,
 * and a secret's value goes from the server's own environment to RunPod without passing through
 * the model.
 *
 * @module
 */

import { z } from "zod";
import { SECRET_ENV_PREFIX } from "../config.ts";
import {
  createSecret,
  deleteSecret,
  getSshKeys,
  listSecrets,
  putSshKeys,
} from "../runpod/account.ts";
import { isTrivialValue } from "../secrets.ts";
import { byteLength, idArg, LIMITS, tooLong } from "./_args.ts";
import { CREATES, defineTool, DESTRUCTIVE, READ_ONLY, ToolInputError } from "./_define.ts";
import { explainGraphqlRefusal } from "./_write_errors.ts";
import { withCheckHint } from "./errors.ts";
import {
  type AuthorizedKey,
  parseAuthorizedKey,
  sameKey,
  sshFingerprint,
  validateSshPublicKey,
} from "./_ssh_key.ts";

// --- SSH keys ---

// fingerprint and type are absent for a line that is not a recognisable key.
const keyRowShape = {
  fingerprint: z.string().optional(),
  type: z.string().optional(),
  comment: z.string(),
};
type KeyRow = z.output<z.ZodObject<typeof keyRowShape>>;

async function keyRow(line: string): Promise<KeyRow> {
  const key = parseAuthorizedKey(line);
  if (!key) return { comment: "(not a recognisable key line)" };
  return { fingerprint: await sshFingerprint(key), type: key.type, comment: key.comment };
}

function describeKey(row: KeyRow): string {
  return row.fingerprint
    ? `${row.fingerprint} ${row.type}${row.comment ? ` ${row.comment}` : ""}`
    : row.comment;
}

const RACE_NOTE = "RunPod PUT replaces the whole list: a concurrent change elsewhere is lost.";

/** `list_ssh_keys`: the account's SSH public keys, as fingerprints and comments. */
export const listSshKeysTool = defineTool({
  name: "list_ssh_keys",
  title: "List account SSH keys",
  description:
    "Lists the SSH public keys RunPod puts into new pods, as SHA256 fingerprint, type and comment (never the whole key).",
  toolset: "account",
  annotations: READ_ONLY,
  input: {},
  output: { keys: z.array(z.object(keyRowShape)) },
  async run(_args, ctx) {
    const rows = await Promise.all((await getSshKeys(ctx.runpod, ctx.signal)).map(keyRow));
    const summary = rows.length === 0
      ? "No SSH keys on the account. add_ssh_key registers one for new pods."
      : `${rows.length} SSH key(s):\n${rows.map(describeKey).join("\n")}`;
    return { summary, data: { keys: rows } };
  },
});

/** `add_ssh_key`: appends one public key to the account's list. */
export const addSshKeyTool = defineTool({
  name: "add_ssh_key",
  title: "Add an account SSH key",
  description:
    `Adds an SSH public key for pods created from now on (running pods keep theirs). ${RACE_NOTE}`,
  toolset: "account",
  annotations: DESTRUCTIVE,
  input: {
    ssh_public_key: z.string().min(1).max(
      LIMITS.SSH_PUBLIC_KEY_CHARS,
      tooLong("ssh_public_key", LIMITS.SSH_PUBLIC_KEY_CHARS),
    ).describe("e.g. ssh-ed25519 AAAAC3Nz me@laptop"),
  },
  output: { fingerprint: z.string(), added: z.boolean(), count: z.number() },
  async run(args, ctx) {
    const line = validateSshPublicKey(args.ssh_public_key);
    const key = parseAuthorizedKey(line)!;
    const fingerprint = await sshFingerprint(key);
    const keys = await getSshKeys(ctx.runpod, ctx.signal);
    if (keys.some((k) => hasKey(k, key))) {
      return {
        summary: `Key ${fingerprint} is already on the account; nothing changed.`,
        data: { fingerprint, added: false, count: keys.length },
      };
    }
    let stored: string[];
    try {
      stored = await putSshKeys(ctx.runpod, [...keys, line], ctx.signal);
    } catch (error) {
      throw withCheckHint(error, "list_ssh_keys");
    }
    return {
      summary:
        `Added key ${fingerprint}; the account has ${stored.length} key(s). Pods created from now on with SSH accept it.`,
      data: { fingerprint, added: true, count: stored.length },
    };
  },
});

function hasKey(line: string, key: AuthorizedKey): boolean {
  const parsed = parseAuthorizedKey(line);
  return parsed !== undefined && sameKey(parsed, key);
}

/** The lines `key` (a fingerprint, a whole key line or a comment) picks out, by what it names. */
async function pickKeys(lines: readonly string[], key: string): Promise<string[]> {
  const wanted = key.trim();
  if (/^SHA256:/i.test(wanted)) {
    const bare = wanted.slice(7).replace(/=+$/, "");
    const prints = await Promise.all(lines.map(async (line) => {
      const parsed = parseAuthorizedKey(line);
      return parsed ? (await sshFingerprint(parsed)).slice(7) : undefined;
    }));
    return lines.filter((_, i) => prints[i] === bare);
  }
  const asKey = parseAuthorizedKey(wanted);
  if (asKey) return lines.filter((line) => hasKey(line, asKey));
  return lines.filter((line) => parseAuthorizedKey(line)?.comment === wanted);
}

/** `remove_ssh_key`: removes one key from the account's list. */
export const removeSshKeyTool = defineTool({
  name: "remove_ssh_key",
  title: "Remove an account SSH key",
  description:
    `Removes an SSH key (fingerprint from list_ssh_keys) from new pods; running pods keep it. ${RACE_NOTE}`,
  toolset: "account",
  annotations: DESTRUCTIVE,
  input: {
    key: z.string().trim().min(1).max(LIMITS.SSH_PUBLIC_KEY_CHARS).describe(
      "Fingerprint or comment, e.g. SHA256:47DEQpj8HBSa",
    ),
  },
  output: { removed: z.array(z.string()), count: z.number() },
  async run(args, ctx) {
    if (/PRIVATE KEY|PuTTY-User-Key-File/i.test(args.key)) {
      throw new ToolInputError(
        "Cannot remove SSH key: key looks like a PRIVATE key. Never share one; name the key by its fingerprint from list_ssh_keys",
      );
    }
    const keys = await getSshKeys(ctx.runpod, ctx.signal);
    const picked = await pickKeys(keys, args.key);
    const rows = await Promise.all(picked.map(keyRow));
    const prints = [...new Set(rows.map((r) => r.fingerprint ?? ""))];
    if (picked.length === 0 || prints.length > 1) {
      const known = (await Promise.all(keys.map(keyRow))).map(describeKey);
      throw new ToolInputError(
        `Cannot remove SSH key: ${
          picked.length === 0 ? "no key on the account matches" : "that comment names several keys"
        }; name one by its fingerprint. Keys now: ${known.length > 0 ? known.join("; ") : "none"}`,
      );
    }
    let stored: string[];
    try {
      stored = await putSshKeys(ctx.runpod, keys.filter((k) => !picked.includes(k)), ctx.signal);
    } catch (error) {
      throw withCheckHint(error, "list_ssh_keys");
    }
    return {
      summary: `Removed key ${
        prints[0]
      }; the account has ${stored.length} key(s) left. Running pods still accept it until recreated.`,
      data: { removed: prints, count: stored.length },
    };
  },
});

// --- secrets ---

// Letters, digits and _ only: the name must also be the tail of an env var a shell can set.
// Messages never put a secret's name right before ":" or "=": output masking would read it as
// an assignment of a secret and hide the words after it.
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// description and created_at are left out when RunPod has none.
const secretRowShape = {
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  created_at: z.string().optional(),
};

/** `{{ RUNPOD_SECRET_<name> }}`: how an env value refers to a secret. */
function reference(name: string): string {
  return `{{ RUNPOD_SECRET_${name} }}`;
}

/** `list_secrets`: the account's secrets, names and metadata only. */
export const listSecretsTool = defineTool({
  name: "list_secrets",
  title: "List RunPod secrets",
  description:
    "Lists RunPod secrets (never values). Use one in a pod, template or endpoint env value as {{ RUNPOD_SECRET_<name> }}.",
  toolset: "account",
  annotations: READ_ONLY,
  input: {},
  output: { secrets: z.array(z.object(secretRowShape)) },
  async run(_args, ctx) {
    const rows = (await listSecrets(ctx.runpod, ctx.signal)).map((s) => ({
      id: s.id,
      name: s.name,
      ...(s.description ? { description: s.description } : {}),
      ...(s.createdAt ? { created_at: s.createdAt } : {}),
    }));
    const summary = rows.length === 0
      ? "No secrets. create_secret stores one from the server's environment."
      : `${rows.length} secret(s):\n${
        rows.map((r) => `${r.id} ${r.name} → ${reference(r.name)}`).join("\n")
      }`;
    return { summary, data: { secrets: rows } };
  },
});

function secretValue(name: string, read: (name: string) => string | undefined): string {
  const envVar = `${SECRET_ENV_PREFIX}${name.toUpperCase()}`;
  const value = read(name);
  if (value === undefined) {
    throw new ToolInputError(
      `Cannot create secret ${name} from the environment: the server has no value for it. Set env var ${envVar} in the MCP server's environment (e.g. the client's server config), restart the server, then call create_secret again; the value never passes through this conversation`,
    );
  }
  if (isTrivialValue(value)) {
    throw new ToolInputError(
      `Cannot create secret ${name} from the environment: ${envVar} is empty, a boolean or a short number, which runpod-mcp does not treat as secret (it would show in dry runs and logs). Set a real secret value and restart the server, or use a plain env var`,
    );
  }
  if (byteLength(value) > LIMITS.ENV_VALUE_BYTES) {
    throw new ToolInputError(
      `Cannot create secret ${name} from the environment: ${envVar} is over the limit of ${LIMITS.ENV_VALUE_BYTES} bytes`,
    );
  }
  return value;
}

/** `create_secret`: stores a secret whose value the server reads from its own environment. */
export const createSecretTool = defineTool({
  name: "create_secret",
  title: "Create a RunPod secret",
  description:
    "Stores a RunPod secret. Its value never passes through you: the server reads env var RUNPOD_MCP_SECRET_<NAME> (upper-cased) and never shows it. Then use {{ RUNPOD_SECRET_<name> }} as an env value.",
  toolset: "account",
  annotations: CREATES,
  input: {
    name: z.string().trim().min(1).max(128).regex(
      SECRET_NAME,
      "a secret name has letters, digits and _, and does not start with a digit",
    ).describe("e.g. HF_TOKEN"),
  },
  // Not "secret_id": output masking hides the value of any key that names a secret.
  output: { id: z.string(), reference: z.string() },
  async run(args, ctx) {
    const value = secretValue(args.name, (name) => ctx.secretFromEnv(name));
    let secret;
    try {
      secret = await createSecret(ctx.runpod, args.name, value, ctx.signal);
    } catch (error) {
      throw explainGraphqlRefusal(
        withCheckHint(error, "list_secrets"),
        `Cannot create secret ${args.name} at RunPod, which refused it; names must be unique (list_secrets)`,
      );
    }
    const ref = reference(secret.name);
    return {
      summary:
        `Created secret ${secret.id} ${secret.name} (value read from the server's environment, never shown). Use ${ref} as an env value.`,
      data: { id: secret.id, reference: ref },
    };
  },
});

/** `delete_secret`: deletes a RunPod secret. */
export const deleteSecretTool = defineTool({
  name: "delete_secret",
  title: "Delete a RunPod secret",
  description:
    "Deletes a RunPod secret for good. Pods, templates and endpoints whose env refers to it get no value from their next start.",
  toolset: "account",
  annotations: DESTRUCTIVE,
  input: { secret_id: idArg("secret id", "clzdaifot0001") },
  output: { id: z.string() },
  async run(args, ctx) {
    try {
      await deleteSecret(ctx.runpod, args.secret_id, ctx.signal);
    } catch (error) {
      throw explainGraphqlRefusal(
        withCheckHint(error, "list_secrets"),
        `Cannot delete secret ${args.secret_id} at RunPod, which refused it; list_secrets shows the secrets that exist`,
      );
    }
    return {
      summary: `Deleted secret ${args.secret_id}.`,
      data: { id: args.secret_id },
    };
  },
});
