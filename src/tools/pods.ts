/**
 * Pod tools: list and inspect pods, in compact rows a person can read.
 *
 * @module
 */

import { round4 } from "../policy/estimate.ts";
import { checkId } from "./_id_check.ts";
import { z } from "zod";
import { getPod, listPods, type Pod } from "../runpod/mod.ts";
import { maskEnv } from "../secrets.ts";
import { defineTool, READ_ONLY } from "./_define.ts";

/**
 * Refuses a malformed pod id before anything reaches RunPod; `what` completes "Cannot …", e.g.
 * "stop pod". The schemas leave the id's shape to this check, which names list_pods.
 */
export function checkPodId(id: string, what: string): void {
  checkId(id, "pod", what);
}

/** Compact pod row used by list_pods and the `runpod://pods` resource. */
export const podRowShape = {
  id: z.string(),
  name: z.string(),
  status: z.string().describe("PROVISIONING, STARTING, RUNNING, EXITED, ERROR or TERMINATED"),
  gpu_type: z.string().nullable().describe("GPU type id; null for CPU pods"),
  gpu_count: z.number().nullable(),
  cost_per_hour: z.number().describe("USD per hour RunPod bills now; 0 when stopped"),
  ports: z.record(z.string(), z.string().nullable()).describe(
    "port/protocol → proxy URL (http) or ip:port (tcp); null until RUNNING",
  ),
  ssh: z.string().nullable().describe("Ready-to-run ssh command; null until assigned"),
};

type PodRow = z.output<z.ZodObject<typeof podRowShape>>;

/** What write tools return about a pod: who it is, its state and what it costs. */
export const podSummaryShape = {
  id: z.string(),
  name: z.string(),
  status: z.string(),
  gpu_type: z.string().nullable(),
  gpu_count: z.number().nullable(),
  cost_per_hour: z.number().describe("USD/hour"),
};

/** The {@linkcode podSummaryShape} of one pod. */
export function podSummary(pod: Pod): z.output<z.ZodObject<typeof podSummaryShape>> {
  return {
    id: pod.id,
    name: pod.name,
    status: pod.status,
    gpu_type: pod.gpu?.id ?? null,
    gpu_count: pod.gpu?.count ?? null,
    cost_per_hour: pod.cost,
  };
}

/** Each exposed port (`8888/http`) and where to reach it, or null until the pod runs. */
export function podPorts(pod: Pod): Record<string, string | null> {
  const live = pod.runtime?.ports ?? [];
  const out: Record<string, string | null> = {};
  for (const spec of pod.ports ?? []) {
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
    out[spec] = address;
  }
  return out;
}

/** The ssh command to paste, or null until RunPod assigns one. */
export function sshCommand(pod: Pod): string | null {
  return pod.ssh?.direct?.command ?? pod.ssh?.proxy?.command ?? null;
}

/** The compact row for one pod. */
export function podRow(pod: Pod): PodRow {
  return {
    ...podSummary(pod),
    ports: podPorts(pod),
    ssh: sshCommand(pod),
  };
}

/** One line: id, name, status, GPU and USD/hour. */
export function describeRow(row: z.output<z.ZodObject<typeof podSummaryShape>>): string {
  const hw = row.gpu_type ? `${row.gpu_count}× ${row.gpu_type}` : "CPU";
  return `${row.id} "${row.name}" ${row.status}, ${hw}, $${row.cost_per_hour.toFixed(2)}/h`;
}

/**
 * One `list_pods` line: {@linkcode describeRow} plus the ports and the ssh command, so the text
 * carries the whole row and the result need not repeat it as JSON (`structuredContent` has it).
 */
function listLine(row: PodRow): string {
  const hw = row.gpu_type ? `${row.gpu_count}× ${row.gpu_type}` : "CPU";
  const ports = Object.entries(row.ports).map(([spec, address]) =>
    `${spec} ${address ?? "(not reachable yet)"}`
  );
  // Exact figures: this line is the text's only copy of the row.
  return `${row.id} "${row.name}" ${row.status}, ${hw}, $${row.cost_per_hour}/h; ports: ${
    ports.length > 0 ? ports.join(", ") : "none"
  }; ssh: ${row.ssh ?? "none yet"}`;
}

const STATUSES = ["PROVISIONING", "STARTING", "RUNNING", "EXITED", "ERROR", "TERMINATED"] as const;

/** `list_pods`: every pod on the account, compact. */
export const listPodsTool = defineTool({
  name: "list_pods",
  title: "List pods",
  description:
    "Lists pods: status, GPU, USD/hour, ports, ssh. Next: get_pod for uptime, env, volume, allowed actions.",
  toolset: "pods",
  annotations: READ_ONLY,
  input: {
    status: z.enum(STATUSES).optional().describe("e.g. RUNNING"),
    name_contains: z.string().optional().describe("Any case, e.g. llama"),
  },
  output: {
    pods: z.array(z.object(podRowShape)),
    count: z.number(),
    total_cost_per_hour: z.number().describe("Sum of cost_per_hour of the listed pods, USD"),
  },
  async run(args, ctx) {
    let pods = await listPods(ctx.runpod, ctx.signal);
    if (args.status) pods = pods.filter((p) => p.status === args.status);
    if (args.name_contains) {
      const needle = args.name_contains.toLowerCase();
      pods = pods.filter((p) => p.name.toLowerCase().includes(needle));
    }
    const rows = pods.map(podRow);
    const total = round4(rows.reduce((sum, r) => sum + r.cost_per_hour, 0));
    const summary = rows.length === 0
      ? "No pods match. Create one with create_pod after picking a GPU with list_gpu_types."
      : `${rows.length} pod(s), burning $${total}/h in total:\n` + rows.map(listLine).join("\n");
    return {
      summary,
      data: { pods: rows, count: rows.length, total_cost_per_hour: total },
      summaryHasData: true,
    };
  },
});

/** Where the pod's volume is, in words, or null without one. */
function volumeText(pod: Pod): string | null {
  const persistent = pod.mounts?.persistent;
  if (persistent?.size) return `${persistent.size} GB pod volume at ${persistent.path}`;
  const network = pod.mounts?.network ?? [];
  if (network.length > 0) {
    return network.map((m) => `network volume ${m.volumeId} at ${m.path}`).join(", ");
  }
  return null;
}

/** One pod in detail, as `get_pod` and the `runpod://pods/{pod_id}` resource show it. */
export function podDetail(pod: Pod, showSecrets: boolean) {
  const { ssh, ...row } = podRow(pod);
  return {
    ...row,
    uptime_s: pod.status === "RUNNING" ? pod.runtime?.uptime ?? null : null,
    ssh_command: ssh,
    actions: [...(pod.actions ?? [])],
    image: pod.image ?? null,
    data_center_id: pod.dataCenterId ?? null,
    container_disk_gb: pod.disk ?? null,
    volume: volumeText(pod),
    env: maskEnv(pod.env, showSecrets),
    gpu_util_pct: pod.status === "RUNNING"
      ? (pod.runtime?.gpus ?? []).map((g) => Number(g.util ?? 0))
      : [],
  };
}

// get_pod names the ssh command `ssh_command`, the one field a person copies from.
const { ssh: _listSsh, ...detailRowShape } = podRowShape;

/** `get_pod`: one pod in detail. */
export const getPodTool = defineTool({
  name: "get_pod",
  title: "Get pod",
  description:
    "One pod in detail: allowed actions, USD/hour, GPU use, ports, ssh, image, disk, volume, env (secrets masked).",
  toolset: "pods",
  annotations: READ_ONLY,
  input: {
    pod_id: z.string().trim().describe("e.g. xedezhzb9la3ye"),
  },
  output: {
    ...detailRowShape,
    uptime_s: z.number().nullable().describe(
      "Seconds since the container started; null unless RUNNING",
    ),
    ssh_command: z.string().nullable().describe("Ready-to-paste ssh command, else null"),
    actions: z.array(z.string()).describe("Actions RunPod allows in the current status"),
    image: z.string().nullable(),
    data_center_id: z.string().nullable(),
    container_disk_gb: z.number().nullable(),
    volume: z.string().nullable().describe("Pod or network volume and its mount path"),
    env: z.record(z.string(), z.string()).describe("Env vars; secret-looking values are masked"),
    gpu_util_pct: z.array(z.number()).describe("Per GPU; empty unless RUNNING"),
  },
  async run(args, ctx) {
    checkPodId(args.pod_id, "look up pod");
    const pod = await getPod(ctx.runpod, args.pod_id, ctx.signal);
    const data = podDetail(pod, ctx.showSecrets);
    const next = data.actions.length > 0 ? ` Allowed actions: ${data.actions.join(", ")}.` : "";
    const ssh = data.ssh_command ? ` SSH: ${data.ssh_command}` : "";
    return { summary: describeRow(data) + "." + next + ssh, data };
  },
});
