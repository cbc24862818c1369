/**
 * Pod tools: list and inspect pods, in compact rows a person can read.
 *
 * @module
 */

import { z } from "zod";
import type { Pod } from "../runpod/mod.ts";
import { maskEnv } from "../secrets.ts";
import { defineTool, READ_ONLY, ToolInputError } from "./_define.ts";

const portShape = {
  port: z.string().describe("Container port and protocol, e.g. 8888/http"),
  address: z.string().nullable().describe(
    "Where to reach it: proxy URL for http, ip:port for tcp; null until RUNNING",
  ),
};

/** Compact pod row used by list_pods. */
export const podRowShape = {
  id: z.string(),
  name: z.string(),
  status: z.string().describe("PROVISIONING, STARTING, RUNNING, EXITED, ERROR or TERMINATED"),
  gpu_type: z.string().nullable().describe("GPU type id; null for CPU pods"),
  gpu_count: z.number().nullable(),
  cost_per_hour: z.number().describe("USD per hour RunPod bills now; 0 when stopped"),
  uptime_s: z.number().nullable().describe(
    "Seconds since the container started; null unless RUNNING",
  ),
  ports: z.array(z.object(portShape)),
  ssh: z.string().nullable().describe("Ready-to-run ssh command; null until assigned"),
};

type PodRow = z.output<z.ZodObject<typeof podRowShape>>;

function portRows(pod: Pod): PodRow["ports"] {
  const live = pod.runtime?.ports ?? [];
  return (pod.ports ?? []).map((spec) => {
    const [privateText, type = "tcp"] = spec.split("/");
    const privatePort = Number(privateText);
    let address: string | null = null;
    if (pod.status === "RUNNING") {
      if (type === "http") address = `https://${pod.id}-${privatePort}.proxy.runpod.net`;
      else {
        const mapping = live.find((p) => p.private === privatePort);
        if (mapping?.ip && mapping.public) address = `${mapping.ip}:${mapping.public}`;
      }
    }
    return { port: spec, address };
  });
}

function sshCommand(pod: Pod): string | null {
  return pod.ssh?.direct?.command ?? pod.ssh?.proxy?.command ?? null;
}

/** The compact row for one pod. */
export function podRow(pod: Pod): PodRow {
  return {
    id: pod.id,
    name: pod.name,
    status: pod.status,
    gpu_type: pod.gpu?.id ?? null,
    gpu_count: pod.gpu?.count ?? null,
    cost_per_hour: pod.cost,
    uptime_s: pod.status === "RUNNING" ? pod.runtime?.uptime ?? null : null,
    ports: portRows(pod),
    ssh: sshCommand(pod),
  };
}

function describeRow(row: PodRow): string {
  const hw = row.gpu_type ? `${row.gpu_count}× ${row.gpu_type}` : "CPU";
  return `${row.id} "${row.name}" ${row.status}, ${hw}, $${row.cost_per_hour.toFixed(2)}/h`;
}

const STATUSES = ["PROVISIONING", "STARTING", "RUNNING", "EXITED", "ERROR", "TERMINATED"] as const;

/** `list_pods`: every pod on the account, compact. */
export const listPods = defineTool({
  name: "list_pods",
  title: "List pods",
  description:
    "Lists the account's pods with status, GPU, cost in USD/hour, uptime, public ports and the ssh command. Filter by status or name. Use get_pod for one pod's full detail (env, mounts, utilisation, allowed actions).",
  toolset: "pods",
  annotations: READ_ONLY,
  input: {
    status: z.enum(STATUSES).optional().describe("Only pods in this status, e.g. RUNNING"),
    name_contains: z.string().min(1).max(200).optional().describe(
      "Only pods whose name contains this text (case-insensitive), e.g. llama",
    ),
  },
  output: {
    pods: z.array(z.object(podRowShape)),
    count: z.number(),
    total_cost_per_hour: z.number().describe("Sum of cost_per_hour of the listed pods, USD"),
  },
  async run(args, ctx) {
    let pods = await ctx.runpod.listPods(ctx.signal);
    if (args.status) pods = pods.filter((p) => p.status === args.status);
    if (args.name_contains) {
      const needle = args.name_contains.toLowerCase();
      pods = pods.filter((p) => p.name.toLowerCase().includes(needle));
    }
    const rows = pods.map(podRow);
    const total = Math.round(rows.reduce((sum, r) => sum + r.cost_per_hour, 0) * 10000) / 10000;
    const summary = rows.length === 0
      ? "No pods match. Create one with create_pod after picking a GPU with list_gpu_types."
      : `${rows.length} pod(s), burning $${total.toFixed(2)}/h in total:\n` +
        rows.map(describeRow).join("\n");
    return { summary, data: { pods: rows, count: rows.length, total_cost_per_hour: total } };
  },
});

/** One pod in detail, as `get_pod` and the `runpod://pods/{pod_id}` resource show it. */
export function podDetail(pod: Pod, showSecrets: boolean) {
  return {
    ...podRow(pod),
    actions: [...(pod.actions ?? [])],
    image: pod.image ?? null,
    cloud: pod.cloud ?? null,
    data_center_id: pod.dataCenterId ?? null,
    container_disk_gb: pod.disk ?? null,
    mounts: (pod.mounts ?? null) as Record<string, unknown> | null,
    env: maskEnv(pod.env, showSecrets),
    gpu_utilization_pct: pod.status === "RUNNING" && pod.runtime?.gpus
      ? pod.runtime.gpus.map((g) => Number(g.util ?? 0))
      : null,
    created_at: pod.createdAt ?? null,
    started_at: pod.startedAt ?? null,
  };
}

/** `get_pod`: one pod in detail. */
export const getPod = defineTool({
  name: "get_pod",
  title: "Get pod details",
  description:
    "Shows one pod: status, allowed actions, GPU, cost in USD/hour, uptime, utilisation, ports, ssh command, image, disk, mounts and env (secret values masked). Use the pod id from list_pods.",
  toolset: "pods",
  annotations: READ_ONLY,
  input: {
    pod_id: z.string().trim().min(1).max(64).describe("Pod id from list_pods, e.g. xedezhzb9la3ye"),
  },
  output: {
    ...podRowShape,
    actions: z.array(z.string()).describe("Actions RunPod allows in the current status"),
    image: z.string().nullable(),
    cloud: z.string().nullable(),
    data_center_id: z.string().nullable(),
    container_disk_gb: z.number().nullable(),
    mounts: z.record(z.string(), z.unknown()).nullable(),
    env: z.record(z.string(), z.string()).describe("Env vars; secret-looking values are masked"),
    gpu_utilization_pct: z.array(z.number()).nullable().describe(
      "Per-GPU utilisation while RUNNING",
    ),
    created_at: z.string().nullable(),
    started_at: z.string().nullable(),
  },
  async run(args, ctx) {
    if (!/^[A-Za-z0-9_-]+$/.test(args.pod_id)) {
      throw new ToolInputError(
        `Cannot look up pod "${
          args.pod_id.slice(0, 64)
        }": a pod id has only letters, digits, - and _ (see list_pods)`,
      );
    }
    const pod = await ctx.runpod.getPod(args.pod_id, ctx.signal);
    const data = podDetail(pod, ctx.showSecrets);
    const next = data.actions.length > 0 ? ` Allowed actions: ${data.actions.join(", ")}.` : "";
    return { summary: describeRow(data) + "." + next, data };
  },
});
