/**
 * Container-registry credential tools: list, create and delete. Credentials are write-only at
 * RunPod, and the password never appears in a result, log line or error here.
 *
 * @module
 */

import { z } from "zod";
import { createRegistry, deleteRegistry, listRegistries } from "../runpod/storage.ts";
import { CREATES, defineTool, DESTRUCTIVE, READ_ONLY } from "./_define.ts";
import { explainStatus, idArg, LIMITS, nameArg, tooLong } from "./_args.ts";

const registryRowShape = { id: z.string(), name: z.string() };

/** `list_registries`: the account's registry credentials (names only). */
export const listRegistriesTool = defineTool({
  name: "list_registries",
  title: "List registry credentials",
  description:
    "Lists the account's container-registry credentials (id and name only; RunPod never returns usernames or passwords). Pass an id as registry_id to create_template to pull a private image.",
  toolset: "storage",
  annotations: READ_ONLY,
  input: {},
  output: { registries: z.array(z.object(registryRowShape)), count: z.number() },
  async run(_args, ctx) {
    const rows = (await listRegistries(ctx.runpod, ctx.signal)).map((r) => ({
      id: r.id,
      name: r.name,
    }));
    const summary = rows.length === 0
      ? "No registry credentials. create_registry adds one for private images."
      : `${rows.length} registry credential(s):\n` +
        rows.map((r) => `${r.id} "${r.name}"`).join("\n");
    return { summary, data: { registries: rows, count: rows.length } };
  },
});

/** `create_registry`: stores a username and password for pulling private images. */
export const createRegistryTool = defineTool({
  name: "create_registry",
  title: "Create a registry credential",
  description:
    "Stores a login for a private container registry (Docker Hub, GHCR, …) so pods and endpoints can pull private images; pass the returned id as registry_id to create_template. The password is write-only: never shown again. RunPod has no update: to change a password, delete_registry then create_registry and point templates at the new id.",
  toolset: "storage",
  annotations: CREATES,
  input: {
    name: nameArg().describe("Credential name, e.g. ghcr-myorg"),
    username: z.string().min(1).max(
      LIMITS.REGISTRY_USERNAME_CHARS,
      tooLong("username", LIMITS.REGISTRY_USERNAME_CHARS),
    ).describe("Registry username, e.g. myorg-bot"),
    password: z.string().min(1).max(
      LIMITS.REGISTRY_PASSWORD_CHARS,
      tooLong("password", LIMITS.REGISTRY_PASSWORD_CHARS),
    ).describe(
      "Registry password or access token (write-only), e.g. ghp_xxx",
    ),
  },
  output: { registry: z.object(registryRowShape), next: z.string() },
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
      data: { registry: { id: registry.id, name: registry.name }, next },
    };
  },
});

/** `delete_registry`: removes a registry credential. */
export const deleteRegistryTool = defineTool({
  name: "delete_registry",
  title: "Delete a registry credential",
  description:
    "Deletes a container-registry credential for good. RunPod refuses while a pod uses it (terminate that pod first). Templates and endpoints that referenced it silently lose it, so their private image pulls fail until you set a new registry_id with update_template.",
  toolset: "storage",
  annotations: DESTRUCTIVE,
  input: { registry_id: idArg("registry credential id", "cm1x2y3z4") },
  output: { registry_id: z.string(), deleted: z.boolean() },
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
      data: { registry_id: args.registry_id, deleted: true },
    };
  },
});
