/**
 * Container-registry credential tools (list, create, update, delete) and AWS ECR delegations
 * (list, create, revoke). Credentials are write-only at RunPod, and the password never appears
 * in a result, log line or error here.
 *
 * @module
 */

import { z } from "zod";
import {
  createDelegation,
  createRegistry,
  deleteRegistry,
  type EcrDelegation,
  getRegistry,
  listDelegations,
  listRegistries,
  revokeDelegation,
  updateRegistryAuth,
} from "../runpod/storage.ts";
import { CREATES, defineTool, DESTRUCTIVE, READ_ONLY, ToolInputError } from "./_define.ts";
import { explainStatus, idArg, LIMITS, nameArg, tooLong } from "./_args.ts";
import { explainGraphqlRefusal } from "./_write_errors.ts";
import { withCheckHint } from "./errors.ts";

const registryRowShape = { id: z.string(), name: z.string() };

const usernameArg = z.string().min(1).max(
  LIMITS.REGISTRY_USERNAME_CHARS,
  tooLong("username", LIMITS.REGISTRY_USERNAME_CHARS),
).describe("e.g. myorg-bot");

const passwordArg = z.string().min(1).max(
  LIMITS.REGISTRY_PASSWORD_CHARS,
  tooLong("password", LIMITS.REGISTRY_PASSWORD_CHARS),
).describe("Write-only, e.g. ghp_xxx");

/** `list_registries`: the account's registry credentials (names only). */
export const listRegistriesTool = defineTool({
  name: "list_registries",
  title: "List registry credentials",
  description:
    "Lists container-registry credentials, id and name only (RunPod never returns logins). Pass an id as registry_id to create_template.",
  toolset: "storage",
  annotations: READ_ONLY,
  input: {},
  output: { registries: z.array(z.object(registryRowShape)) },
  async run(_args, ctx) {
    const rows = (await listRegistries(ctx.runpod, ctx.signal)).map((r) => ({
      id: r.id,
      name: r.name,
    }));
    const summary = rows.length === 0
      ? "No registry credentials. create_registry adds one for private images."
      : `${rows.length} registry credential(s):\n` +
        rows.map((r) => `${r.id} "${r.name}"`).join("\n");
    return { summary, data: { registries: rows } };
  },
});

/** `create_registry`: stores a username and password for pulling private images. */
export const createRegistryTool = defineTool({
  name: "create_registry",
  title: "Create a registry credential",
  description:
    "Stores a private registry login; pass its id as registry_id to create_template. The password is write-only, never shown again. To change it later, use update_registry.",
  toolset: "storage",
  annotations: CREATES,
  input: {
    name: nameArg().describe("e.g. ghcr-myorg"),
    username: usernameArg,
    password: passwordArg,
  },
  output: { registry_id: z.string() },
  async run(args, ctx) {
    let registry;
    try {
      registry = await createRegistry(ctx.runpod, {
        name: args.name,
        username: args.username,
        password: args.password,
      }, ctx.signal);
    } catch (error) {
      throw explainStatus(error, {
        400:
          `Cannot create registry credential "${args.name}": RunPod refused it; names must be unique (list_registries), otherwise check the arguments`,
      });
    }
    const next = `create_template or update_template with registry_id=${registry.id}`;
    return {
      summary:
        `Created registry credential ${registry.id} "${registry.name}" (password stored, never shown). Next: ${next}.`,
      data: { registry_id: registry.id },
    };
  },
});

/** `delete_registry`: removes a registry credential. */
export const deleteRegistryTool = defineTool({
  name: "delete_registry",
  title: "Delete a registry credential",
  description:
    "Deletes a registry credential for good; refused while a pod uses it. Templates using it silently lose it: private pulls fail until update_template sets a new registry_id.",
  toolset: "storage",
  annotations: DESTRUCTIVE,
  input: { registry_id: idArg("registry credential id", "cm1x2y3z4") },
  output: { registry_id: z.string() },
  async run(args, ctx) {
    try {
      await deleteRegistry(ctx.runpod, args.registry_id, ctx.signal);
    } catch (error) {
      throw explainStatus(error, {
        400:
          `Cannot delete registry credential ${args.registry_id}: a pod still uses it; terminate that pod first, then retry`,
        404:
          `Cannot delete registry credential ${args.registry_id}: it does not exist; list_registries shows yours`,
      });
    }
    return {
      summary:
        `Deleted registry credential ${args.registry_id}. Templates that used it now have no registry_id; set a new one with update_template if their image is private.`,
      data: { registry_id: args.registry_id },
    };
  },
});

/** `update_registry`: replaces a credential's username and password in place. */
export const updateRegistryTool = defineTool({
  name: "update_registry",
  title: "Update a registry credential",
  description:
    "Replaces a registry credential's login in place (users of its id keep it). The old login is lost; a wrong one breaks their next pull. The password is write-only, never shown.",
  toolset: "storage",
  annotations: DESTRUCTIVE,
  input: {
    registry_id: idArg("registry credential id", "cm1x2y3z4"),
    username: usernameArg,
    password: passwordArg,
  },
  output: { registry_id: z.string() },
  async run(args, ctx) {
    try {
      // REST answers an unknown id with a clear 404; GraphQL's refusal would be vaguer.
      await getRegistry(ctx.runpod, args.registry_id, ctx.signal);
    } catch (error) {
      throw explainStatus(error, {
        404:
          `Cannot update registry credential ${args.registry_id}: it does not exist; list_registries shows yours`,
      });
    }
    let registry;
    try {
      registry = await updateRegistryAuth(ctx.runpod, {
        id: args.registry_id,
        username: args.username,
        password: args.password,
      }, ctx.signal);
    } catch (error) {
      throw explainGraphqlRefusal(
        withCheckHint(error, "list_registries (it cannot show the login: test a pull)"),
        `Cannot update registry credential ${args.registry_id}: RunPod refused it`,
      );
    }
    return {
      summary:
        `Updated the login of registry credential ${registry.id} "${registry.name}" (password stored, never shown). Templates and endpoints using it pull with the new login from now on.`,
      data: { registry_id: registry.id },
    };
  },
});

// --- AWS ECR delegations ---

// arn:aws:ecr:<region>:<12-digit account>:repository/<name>, as AWS spells an ECR repository.
const ECR_REPOSITORY_ARN =
  /^arn:aws(?:-cn|-us-gov)?:ecr:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:repository\/[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

// The image reference holds the AWS account, region, repository and tag: no separate fields.
const delegationRowShape = {
  id: z.string(),
  name: z.string().optional(),
  image: z.string().describe("Image reference for create_template"),
};
type DelegationRow = z.output<z.ZodObject<typeof delegationRowShape>>;

function imageOf(d: EcrDelegation): string {
  return `${
    d.dockerRegistryUri ?? `${d.awsUser}.dkr.ecr.${d.awsRegion}.amazonaws.com`
  }/${d.repository}:${d.tag}`;
}

function delegationRow(d: EcrDelegation): DelegationRow {
  return { id: d.id, ...(d.name ? { name: d.name } : {}), image: imageOf(d) };
}

/** `list_ecr_delegations`: the ECR repositories RunPod may pull from. */
export const listEcrDelegationsTool = defineTool({
  name: "list_ecr_delegations",
  title: "List AWS ECR delegations",
  description:
    "Lists the AWS ECR repositories RunPod may pull from (delegations), with the image reference for create_template.",
  toolset: "storage",
  annotations: READ_ONLY,
  input: {},
  output: { delegations: z.array(z.object(delegationRowShape)) },
  async run(_args, ctx) {
    const rows = (await listDelegations(ctx.runpod, ctx.signal)).map(delegationRow);
    const summary = rows.length === 0
      ? "No ECR delegations. create_ecr_delegation adds one for a private ECR repository."
      : `${rows.length} ECR delegation(s):\n` +
        rows.map((r) => `${r.id}${r.name ? ` "${r.name}"` : ""} ${r.image}`).join("\n");
    return { summary, data: { delegations: rows } };
  },
});

/** `create_ecr_delegation`: lets RunPod pull from one ECR repository. */
export const createEcrDelegationTool = defineTool({
  name: "create_ecr_delegation",
  title: "Create an AWS ECR delegation",
  description:
    "Lets RunPod pull from a private AWS ECR repository by ARN; no AWS keys are stored. Then use the returned image in create_template.",
  toolset: "storage",
  annotations: CREATES,
  input: {
    resource: z.string().trim().min(1).max(512).describe(
      "ECR ARN, e.g. arn:aws:ecr:us-east-2:418399314813:repository/app",
    ),
    name: nameArg().optional().describe("e.g. prod-images"),
  },
  output: { delegation_id: z.string(), image: z.string() },
  async run(args, ctx) {
    if (!ECR_REPOSITORY_ARN.test(args.resource)) {
      throw new ToolInputError(
        "Cannot create ECR delegation: resource is not an ECR repository ARN; expected arn:aws:ecr:<region>:<12-digit account>:repository/<name>, e.g. arn:aws:ecr:us-east-2:418399314813:repository/runpod/deployment",
      );
    }
    let created;
    try {
      created = await createDelegation(ctx.runpod, {
        resource: args.resource,
        ...(args.name !== undefined ? { name: args.name } : {}),
      }, ctx.signal);
    } catch (error) {
      throw explainStatus(withCheckHint(error, "list_ecr_delegations"), {
        400:
          `Cannot create ECR delegation for ${args.resource}: RunPod refused it; it may exist already (list_ecr_delegations)`,
      });
    }
    const row = delegationRow(created);
    return {
      summary: `Created ECR delegation ${row.id}. Use image ${row.image} in create_template.`,
      data: { delegation_id: row.id, image: row.image },
    };
  },
});

/** `revoke_ecr_delegation`: stops RunPod pulling from an ECR repository. */
export const revokeEcrDelegationTool = defineTool({
  name: "revoke_ecr_delegation",
  title: "Revoke an AWS ECR delegation",
  description:
    "Revokes an ECR delegation: RunPod can no longer pull from that repository; pods and endpoints using its images fail their next pull.",
  toolset: "storage",
  annotations: DESTRUCTIVE,
  input: { delegation_id: idArg("delegation id", "dlg_a1b2") },
  output: { delegation_id: z.string() },
  async run(args, ctx) {
    try {
      await revokeDelegation(ctx.runpod, args.delegation_id, ctx.signal);
    } catch (error) {
      throw explainStatus(withCheckHint(error, "list_ecr_delegations"), {
        404:
          `Cannot revoke ECR delegation ${args.delegation_id}: it does not exist; list_ecr_delegations shows yours`,
      });
    }
    return {
      summary: `Revoked ECR delegation ${args.delegation_id}.`,
      data: { delegation_id: args.delegation_id },
    };
  },
});
