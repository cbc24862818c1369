/**
 * Network volume tools: list, inspect, create (after checking the data center offers the tier),
 * grow or rename, and delete, each showing the monthly storage cost.
 *
 * @module
 */

import { listDataCenters } from "../runpod/mod.ts";
import { rememberCreated } from "../policy/protect.ts";
import { z } from "zod";
import {
  createNetworkVolume,
  deleteNetworkVolume,
  getNetworkVolume,
  listNetworkVolumes,
  type NetworkVolume,
  updateNetworkVolume,
  type UpdateNetworkVolumeBody,
  VOLUME_TYPES,
  type VolumeType,
} from "../runpod/storage.ts";
import { CREATES, defineTool, DESTRUCTIVE, READ_ONLY, ToolInputError } from "./_define.ts";
import { explainStatus, idArg, nameArg } from "./_args.ts";
import {
  networkStorageKind,
  networkVolumeMonthlyCost,
  storageCost,
  storageRatesText,
} from "../policy/estimate.ts";

const DC_ID = /^[A-Z]{2,4}-[A-Z]{2,4}-\d+$/;

const volumeRowShape = {
  id: z.string(),
  name: z.string(),
  size_gb: z.number(),
  data_center: z.string().describe("Pods using it must run in this data center"),
  type: z.string().describe("STANDARD or HIGH_PERFORMANCE"),
  monthly_cost_usd: z.number().describe("Estimated storage cost, USD per month, from list prices"),
};

type VolumeRow = z.output<z.ZodObject<typeof volumeRowShape>>;

/** The compact network volume row, with its monthly cost. */
export function volumeRow(v: NetworkVolume): VolumeRow {
  return {
    id: v.id,
    name: v.name,
    size_gb: v.size,
    data_center: v.dataCenter,
    type: v.type,
    monthly_cost_usd: networkVolumeMonthlyCost(v.size, v.type),
  };
}

function describeRow(row: VolumeRow): string {
  return `${row.id} "${row.name}" ${
    storageCost(networkStorageKind(row.type), row.size_gb).text
  } in ${row.data_center}`;
}

function notFound(id: string, action: string): string {
  return `Cannot ${action} network volume ${id}: it does not exist; list_network_volumes shows yours`;
}

const PRICE_NOTE = `List prices: ${
  storageRatesText(["network_standard", "network_high_performance"])
}.`;

/** `list_network_volumes`: the account's network volumes with monthly cost. */
export const listNetworkVolumesTool = defineTool({
  name: "list_network_volumes",
  title: "List network volumes",
  description:
    "Lists network volumes: GB, data center, tier, USD/month (billed even unused). Attach with create_pod network_volume_id in the same data center.",
  toolset: "storage",
  annotations: READ_ONLY,
  input: {},
  output: {
    volumes: z.array(z.object(volumeRowShape)),
    total_monthly_cost_usd: z.number().describe("Sum of monthly_cost_usd, USD per month"),
  },
  async run(_args, ctx) {
    const rows = (await listNetworkVolumes(ctx.runpod, ctx.signal)).map(volumeRow);
    const total = Math.round(rows.reduce((sum, r) => sum + r.monthly_cost_usd, 0) * 100) / 100;
    const summary = rows.length === 0
      ? "No network volumes. create_network_volume makes one (storage that outlives pods)."
      : `${rows.length} network volume(s), ~$${total.toFixed(2)}/month in total:\n` +
        rows.map(describeRow).join("\n");
    return {
      summary,
      data: { volumes: rows, total_monthly_cost_usd: total },
    };
  },
});

/** `get_network_volume`: one network volume. */
export const getNetworkVolumeTool = defineTool({
  name: "get_network_volume",
  title: "Get network volume",
  description:
    "Shows one network volume: size in GB, data center, tier and estimated cost in USD/month.",
  toolset: "storage",
  annotations: READ_ONLY,
  input: { volume_id: idArg("network volume id", "agv6w2qcg7") },
  output: volumeRowShape,
  async run(args, ctx) {
    let volume: NetworkVolume;
    try {
      volume = await getNetworkVolume(ctx.runpod, args.volume_id, ctx.signal);
    } catch (error) {
      throw explainStatus(error, { 404: notFound(args.volume_id, "find") });
    }
    const data = volumeRow(volume);
    return { summary: `${describeRow(data)}.`, data };
  },
});

/** `create_network_volume`: persistent storage in one data center. */
export const createNetworkVolumeTool = defineTool({
  name: "create_network_volume",
  title: "Create a network volume",
  description:
    "Creates storage in one data center (list_data_centers), billed monthly until deleted, even unused: tell the user the cost first. Then create_pod network_volume_id. " +
    PRICE_NOTE,
  toolset: "storage",
  annotations: CREATES,
  input: {
    name: nameArg().describe("e.g. datasets"),
    size_gb: z.number().int().min(10).max(4096).describe("e.g. 100 (GB)"),
    data_center_id: z.string().trim().regex(DC_ID, "a data center id looks like EU-RO-1").describe(
      "Its pods run here too, e.g. EU-RO-1",
    ),
    type: z.enum(VOLUME_TYPES).default("STANDARD").describe("Fixed tier, e.g. STANDARD"),
  },
  output: { volume_id: z.string(), monthly_cost_usd: z.number() },
  async run(args, ctx) {
    const type: VolumeType = args.type;
    const centers = await listDataCenters(ctx.runpod, {}, ctx.signal);
    const offering = centers.filter((dc) => dc.networkVolumeTypes.includes(type))
      .map((dc) => dc.id);
    const dc = centers.find((c) => c.id === args.data_center_id);
    if (!dc || !dc.networkVolumeTypes.includes(type)) {
      const reason = dc
        ? `${dc.id} does not offer ${type} network volumes`
        : `RunPod has no data center ${args.data_center_id}`;
      const choices = offering.length > 0
        ? `data centers that do offer ${type}: ${offering.join(", ")}`
        : `no data center offers ${type} now`;
      throw new ToolInputError(`Cannot create network volume: ${reason}; ${choices}`);
    }
    // `type` is always sent: without it RunPod picks the data center's primary tier, which may
    // not be the one priced here.
    const volume = await createNetworkVolume(ctx.runpod, {
      name: args.name,
      size: args.size_gb,
      dataCenter: dc.id,
      type,
    }, ctx.signal);
    rememberCreated(volume.id);
    const row = volumeRow(volume);
    const next =
      `create_pod with network_volume_id=${volume.id} and data_center_ids=["${volume.dataCenter}"]`;
    return {
      summary:
        `Created network volume ${volume.id} "${volume.name}": ${row.size_gb} GB ${row.type} in ${row.data_center}, ~$${
          row.monthly_cost_usd.toFixed(2)
        }/month until delete_network_volume. Next: ${next}.`,
      data: { volume_id: volume.id, monthly_cost_usd: row.monthly_cost_usd },
    };
  },
});

/** `update_network_volume`: rename or grow. */
export const updateNetworkVolumeTool = defineTool({
  name: "update_network_volume",
  title: "Grow or rename a network volume",
  description:
    "Renames or grows a network volume (GB). It never shrinks: create a smaller one and copy the data. Growing raises the USD/month cost.",
  toolset: "storage",
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  input: {
    volume_id: idArg("network volume id", "agv6w2qcg7"),
    name: nameArg().optional().describe("e.g. datasets-v2"),
    size_gb: z.number().int().min(10).max(4096).optional().describe("New total, e.g. 200"),
  },
  output: {
    size_gb: z.number(),
    monthly_cost_usd: z.number(),
    previous_monthly_cost_usd: z.number(),
  },
  async run(args, ctx) {
    if (args.name === undefined && args.size_gb === undefined) {
      throw new ToolInputError(
        `Cannot update network volume ${args.volume_id}: give name or size_gb`,
      );
    }
    let current: NetworkVolume;
    try {
      current = await getNetworkVolume(ctx.runpod, args.volume_id, ctx.signal);
    } catch (error) {
      throw explainStatus(error, { 404: notFound(args.volume_id, "update") });
    }
    if (args.size_gb !== undefined && args.size_gb < current.size) {
      throw new ToolInputError(
        `Cannot shrink network volume ${current.id} from ${current.size} GB to ${args.size_gb} GB: volumes only grow; create a smaller volume and copy the data instead`,
      );
    }
    const body: UpdateNetworkVolumeBody = {};
    if (args.name !== undefined) body.name = args.name;
    if (args.size_gb !== undefined) body.size = args.size_gb;
    let volume: NetworkVolume;
    try {
      volume = await updateNetworkVolume(ctx.runpod, args.volume_id, body, ctx.signal);
    } catch (error) {
      throw explainStatus(error, { 404: notFound(args.volume_id, "update") });
    }
    const row = volumeRow(volume);
    const before = networkVolumeMonthlyCost(current.size, current.type);
    const grown = volume.size !== current.size
      ? ` Grew ${current.size} → ${volume.size} GB; ~$${before.toFixed(2)} → ~$${
        row.monthly_cost_usd.toFixed(2)
      }/month.`
      : ` Size ${volume.size} GB, ~$${row.monthly_cost_usd.toFixed(2)}/month.`;
    return {
      summary: `Updated network volume ${volume.id} "${volume.name}".${grown}`,
      data: {
        size_gb: row.size_gb,
        monthly_cost_usd: row.monthly_cost_usd,
        previous_monthly_cost_usd: before,
      },
    };
  },
});

/** `delete_network_volume`: deletes the volume and every file on it. */
export const deleteNetworkVolumeTool = defineTool({
  name: "delete_network_volume",
  title: "Delete a network volume",
  description:
    "Deletes a network volume and ALL its data for good (no undo); billing stops. Ask the user first. Refused while attached: terminate the pod or detach it first.",
  toolset: "storage",
  annotations: DESTRUCTIVE,
  input: { volume_id: idArg("network volume id", "agv6w2qcg7") },
  output: { volume_id: z.string() },
  async run(args, ctx) {
    try {
      await deleteNetworkVolume(ctx.runpod, args.volume_id, ctx.signal);
    } catch (error) {
      throw explainStatus(error, {
        400:
          `Cannot delete network volume ${args.volume_id}: a pod or serverless endpoint still has it attached; terminate that pod or remove the volume from the endpoint first`,
        404: notFound(args.volume_id, "delete"),
      });
    }
    return {
      summary:
        `Deleted network volume ${args.volume_id} and all its data; its storage billing stopped.`,
      data: { volume_id: args.volume_id },
    };
  },
});
