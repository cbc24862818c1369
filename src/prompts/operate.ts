/**
 * Prompts for work already running: watching a long experiment, debugging a pod or an endpoint,
 * and cutting costs.
 *
 * @module
 */

import { parseHours, parseUsd, quote } from "./_args.ts";
import {
  CONFIRM_COSTS,
  given,
  type Line,
  notOffered,
  optionalArg,
  type PromptSpec,
  renderPlan,
  requiredCompletedArg,
} from "./_define.ts";

/** `manage_long_running_experiment`: checkpoints, stopping when done, and a spend watch. */
export const manageLongRunningExperimentPrompt: PromptSpec = {
  name: "manage_long_running_experiment",
  title: "Look after a long-running experiment",
  description:
    "Plan for watching a long run on a pod: checkpoints on persistent storage, progress from logs, spend against a budget, and stopping the pod when done.",
  requires: [["get_pod"], ["get_pod_logs"]],
  args: (complete) => ({
    pod_id: requiredCompletedArg(
      "The pod running the experiment, e.g. x7k2m9p4q1",
      complete.podIds,
    ),
    budget_usd: optionalArg("Most USD this run may cost in total, e.g. 40"),
    done_when: optionalArg("How to tell it finished, e.g. log line 'Training complete'"),
    checkpoint_path: optionalArg("Where checkpoints are written, e.g. /workspace/checkpoints"),
    check_every: optionalArg("How often to check, e.g. 30 min"),
  }),
  render(args, ctx) {
    const pod = given(args, "pod_id") ?? "the pod";
    const done = given(args, "done_when");
    const checkpoints = given(args, "checkpoint_path") ?? "/workspace/checkpoints";
    const problems: string[] = [];
    let budget: number | undefined;
    const budgetText = given(args, "budget_usd");
    if (budgetText) {
      const parsed = parseUsd(budgetText, "budget");
      if (parsed.ok) budget = parsed.value;
      else problems.push(parsed.problem);
    }
    let every = "each time the user checks in";
    const everyText = given(args, "check_every");
    if (everyText) {
      const parsed = parseHours(everyText, "check interval");
      if (parsed.ok) {
        every = parsed.value < 1
          ? `every ${Math.round(parsed.value * 60)} min`
          : `every ${parsed.value} h`;
      } else problems.push(parsed.problem);
    }
    const spend = `spent so far ≈ USD/hour × hours running${
      budget
        ? `; hours left = ($${budget} − spent) ÷ USD/hour. Warn the user when under 10% of the budget is left`
        : "; ask the user for a budget if they have one"
    }.`;
    const finish = `When it is done${
      budget ? " or the budget is nearly spent" : ""
    }: confirm from the logs that the final checkpoint was written, tell the user, and with their agreement`;
    return renderPlan({
      goal: `Look after the experiment on pod ${quote(pod)}${
        budget ? ` with a budget of $${budget}` : ""
      }; checkpoints in ${quote(checkpoints)}${done ? `; done when ${quote(done)}` : ""}.`,
      problems,
      context: [
        `You cannot watch in the background: check ${every}, when the user or the client asks again, and say so.`,
      ],
      steps: [
        `\`get_pod\` with pod_id=${quote(pod)}: status, GPU, USD/hour, uptime, and mounts. ${
          quote(checkpoints)
        } must be on a network volume or the pod volume (/workspace), not the container disk, which is wiped on stop and terminate. If not, tell the user first.`,
        {
          text: `\`get_spend_summary\` and \`get_balance\`: ${spend}`,
          instead: `From \`get_pod\`: ${spend}`,
        },
        `\`get_pod_logs\` with pod_id=${
          quote(pod)
        }, tail=200, source=container: progress (step, epoch, loss), errors, the latest checkpoint saved${
          done ? `, and ${quote(done)}` : ""
        }.`,
        {
          text:
            `At each check (${every}): \`get_pod\` (still RUNNING?), \`get_pod_logs\` with tail=100, the spend estimate. No new log lines in two checks or repeated errors → use the debug_pod prompt.`,
          instead:
            `At each check (${every}): \`get_pod\` (still RUNNING?), \`get_pod_logs\` with tail=100, the spend estimate.`,
        },
        {
          text:
            `${finish} \`stop_pod\` (keeps /workspace; only storage bills) or \`terminate_pod\` once the results are on a network volume or downloaded.`,
          instead: `${finish} stop the pod: ${notOffered("stopping pods")}.`,
        },
        "Report total hours, the approximate cost and where the checkpoints are.",
      ],
      safety: [
        CONFIRM_COSTS,
        "Never terminate without explicit agreement: `terminate_pod` deletes the pod's disks for good.",
      ],
    }, ctx);
  },
};

/** `debug_pod`: what to inspect, in order, when a pod misbehaves. */
export const debugPodPrompt: PromptSpec = {
  name: "debug_pod",
  title: "Debug a pod",
  description:
    "Plan for finding out why a pod is stuck, crashing or unreachable: status, system and container logs, common causes and fixes.",
  requires: [["get_pod"], ["get_pod_logs"]],
  args: (complete) => ({
    pod_id: requiredCompletedArg("The pod to debug, e.g. x7k2m9p4q1", complete.podIds),
    symptom: optionalArg("What goes wrong, e.g. stuck starting, port 8888 not reachable, exits"),
  }),
  render(args, ctx) {
    const pod = given(args, "pod_id") ?? "the pod";
    const symptom = given(args, "symptom");
    return renderPlan({
      goal: `Find out why pod ${quote(pod)} misbehaves${
        symptom ? `: ${quote(symptom)}` : ""
      }, and fix it with the user.`,
      steps: [
        `\`get_pod\` with pod_id=${
          quote(pod)
        }: status and desired status, image, GPU, ports, env (secrets masked), USD/hour.`,
        {
          text: `If it is still PROVISIONING or STARTING: \`wait_for_pod\` with pod_id=${
            quote(pod)
          }, timeout_s=300. Still not up: \`list_data_centers\` with gpu_type, include_gpu_availability=true (the GPU may be out of stock there).`,
          instead: [
            `If it is still PROVISIONING or STARTING: \`wait_for_pod\` with pod_id=${
              quote(pod)
            }, timeout_s=300. Still not up: the GPU may be out of stock in its data center.`,
            "If it is still PROVISIONING or STARTING, check again in a few minutes: the GPU may be out of stock in its data center.",
          ],
        },
        `\`get_pod_logs\` with pod_id=${
          quote(pod)
        }, source=system, tail=200: image pull, start command, out-of-memory, GPU errors.`,
        `\`get_pod_logs\` with pod_id=${quote(pod)}, source=container, tail=200: the app's errors.`,
        {
          text:
            'Match the cause: wrong image or tag, private image without credentials (`list_registries`), CUDA too old for the image (min_cuda_version on `create_pod`), out of memory (bigger GPU), disk full (container_disk_gb), bad start command (docker_args), a port missing from ports (e.g. "8888/http") or an app listening on 127.0.0.1 instead of 0.0.0.0.',
          instead:
            'Match the cause: wrong image or tag, private image without registry credentials, CUDA too old for the image (a host with newer CUDA), out of memory (bigger GPU), disk full (container_disk_gb), bad start command (docker_args), a port missing from ports (e.g. "8888/http") or an app listening on 127.0.0.1 instead of 0.0.0.0.',
        },
        {
          text:
            "Propose one fix and get agreement: `update_pod` (image, docker_args, ports, env, container_disk_gb; the pod restarts) or `restart_pod`; then `wait_for_pod` and the logs again.",
          instead: `Propose one fix (image, docker_args, ports, env or container_disk_gb): ${
            notOffered("changing or restarting pods")
          }; then read the logs again.`,
        },
      ],
      safety: [
        {
          text:
            "The pod bills while you debug: tell the user its USD/hour and offer `stop_pod` if the fix will take a while.",
          instead:
            "The pod bills while you debug: tell the user its USD/hour and suggest stopping it if the fix will take a while.",
        },
        "If it is not worth saving, `terminate_pod` only with the user's agreement: its disks are deleted.",
        CONFIRM_COSTS,
      ],
    }, ctx);
  },
};

/** `debug_endpoint`: jobs stuck IN_QUEUE, failing jobs, unhealthy workers. */
export const debugEndpointPrompt: PromptSpec = {
  name: "debug_endpoint",
  title: "Debug a serverless endpoint",
  description:
    "Plan for finding out why a serverless endpoint's jobs stay IN_QUEUE, fail or time out, or its workers are unhealthy, and fixing it.",
  requires: [["get_endpoint"], ["get_endpoint_health"]],
  args: (complete) => ({
    endpoint_id: requiredCompletedArg(
      "The endpoint to debug, e.g. vllm-a1b2c3d4e5",
      complete.endpointIds,
    ),
    symptom: optionalArg(
      "What goes wrong, e.g. jobs stuck IN_QUEUE, jobs FAILED, slow cold starts",
    ),
    job_id: optionalArg("A job that failed or hangs, e.g. 8a7c2f1e-…-u1"),
  }),
  render(args, ctx) {
    const endpoint = given(args, "endpoint_id") ?? "the endpoint";
    const symptom = given(args, "symptom");
    const job = given(args, "job_id");
    const e = quote(endpoint);
    return renderPlan({
      goal: `Find out why endpoint ${e} misbehaves${
        symptom ? `: ${quote(symptom)}` : ""
      }, and fix it with the user.`,
      steps: [
        `\`get_endpoint\` with endpoint_id=${e}: gpu_types, workers_min/workers_max, scaling, execution timeout, image or template, flashboot.`,
        `\`get_endpoint_health\` with endpoint_id=${e}: jobs in queue, in progress, failed; workers idle, running, initializing, throttled, unhealthy.`,
        `\`list_endpoint_workers\` with endpoint_id=${e}: each worker's state and how long it has been in it.`,
        job
          ? `\`get_job\` with endpoint_id=${e}, job_id=${quote(job)}: status, error and output.`
          : "For a failed job id from the user or the health numbers: `get_job` with endpoint_id and job_id.",
        {
          text:
            "Jobs IN_QUEUE with no running workers: workers_max is 0, the workers are throttled, or the GPU pools have no stock (`list_gpu_types` with product=SERVERLESS, include_availability=true). Fix: more gpu_types, another data center, or a higher workers_max.",
          instead:
            "Jobs IN_QUEUE with no running workers: workers_max is 0, the workers are throttled, or the GPU pools have no stock. Fix: more gpu_types, another data center, or a higher workers_max.",
        },
        "Workers initializing for long: a big image or a model downloaded at start. Fix: flashboot=FLASHBOOT, a network volume with the model cached, a smaller image.",
        "Jobs FAILED or TIMED_OUT: the handler's error from `get_job`; a higher execution_timeout_s, or fix the image or env.",
        {
          text:
            "Propose one change with `update_endpoint` (more workers: price it first with `estimate_cost` kind=endpoint); then `retry_job` for failed jobs and `run_job_sync` with a tiny input to verify, and `get_endpoint_health` again.",
          instead: [
            "Propose one change with `update_endpoint`; then `retry_job` for failed jobs and `run_job_sync` with a tiny input to verify, and `get_endpoint_health` again.",
            `Propose one change (workers, gpu_types, timeouts, image or env): ${
              notOffered("changing endpoints")
            }; then \`get_endpoint_health\` again.`,
          ],
        },
      ],
      safety: [
        CONFIRM_COSTS,
        "`purge_queue` drops every queued job and `cancel_job` stops one: only with the user's agreement.",
        "A higher workers_min bills around the clock; prefer raising workers_max.",
      ],
    }, ctx);
  },
};

const POD_SAVINGS: Line = {
  text:
    "`list_pods`: for each RUNNING pod, its USD/hour and uptime; `get_pod_logs` with tail=20 to see if it is idle. Idle → `stop_pod`. Stopped pods still bill for their volume → `terminate_pod` once the data is saved. Same GPU on COMMUNITY cloud, or a smaller GPU (`list_gpu_types`), may be cheaper: price it with `estimate_cost`.",
  instead: [
    "`list_pods`: for each RUNNING pod, its USD/hour and uptime; `get_pod_logs` with tail=20 to see if it is idle. Idle → propose stopping it. Stopped pods still bill for their volume → propose terminating them once the data is saved. Same GPU on COMMUNITY cloud, or a smaller GPU (`list_gpu_types`), may be cheaper: price it with `estimate_cost`.",
    "`list_pods`: for each RUNNING pod, its USD/hour and uptime; `get_pod_logs` with tail=20 to see if it is idle. Idle → propose stopping it. Stopped pods still bill for their volume → propose terminating them once the data is saved. Same GPU on COMMUNITY cloud, or a smaller GPU, may be cheaper.",
    "`list_pods`: for each RUNNING pod, its USD/hour and uptime. Idle → propose stopping it; stopped pods still bill for their volume → propose terminating them once the data is saved.",
  ],
};

const ENDPOINT_SAVINGS: Line = {
  text:
    "`list_endpoints`, then `get_endpoint` and `get_endpoint_health` for each: workers_min above 0 bills around the clock → `update_endpoint` with workers_min=0 (and flashboot=FLASHBOOT for cold starts), a shorter idle_timeout_s, or cheaper gpu_types.",
  instead: [
    "`list_endpoints`, then `get_endpoint` and `get_endpoint_health` for each: workers_min above 0 bills around the clock → propose workers_min=0 (and flashboot=FLASHBOOT for cold starts), a shorter idle_timeout_s, or cheaper gpu_types.",
    "`list_endpoints`: workers_min above 0 bills around the clock → propose workers_min=0 (and flashboot=FLASHBOOT for cold starts), a shorter idle_timeout_s, or cheaper gpu_types.",
  ],
};

const VOLUME_SAVINGS: Line = {
  text:
    "`list_network_volumes`: volumes no pod or endpoint uses still bill monthly → `delete_network_volume` only when the user confirms the data is not needed.",
  instead:
    "`list_network_volumes`: volumes no pod or endpoint uses still bill monthly → propose deleting them, only when the user confirms the data is not needed.",
};

/** `reduce_costs`: where the money goes and what to stop, shrink or delete. */
export const reduceCostsPrompt: PromptSpec = {
  name: "reduce_costs",
  title: "Reduce RunPod costs",
  description:
    "Plan for finding what costs money now (pods, endpoints, network volumes), proposing savings with figures, and applying only what the user agrees to.",
  requires: [["get_spend_summary", "list_pods", "list_endpoints", "list_network_volumes"]],
  args: () => ({
    focus: optionalArg("What to look at: pods, serverless, storage or all (default), e.g. pods"),
    monthly_budget_usd: optionalArg("What the user wants to spend per month, e.g. 300"),
  }),
  render(args, ctx) {
    const problems: string[] = [];
    const focusText = given(args, "focus");
    let focus: "pods" | "serverless" | "storage" | "all" = "all";
    if (focusText) {
      const f = focusText.toLowerCase();
      if (/pod/.test(f)) focus = "pods";
      else if (/serverless|endpoint|worker/.test(f)) focus = "serverless";
      else if (/storage|volume|disk/.test(f)) focus = "storage";
      else if (!/all|every|everything/.test(f)) {
        problems.push(
          `Cannot read focus ${quote(focusText)}: give pods, serverless, storage or all`,
        );
      }
    }
    let budget: number | undefined;
    const budgetText = given(args, "monthly_budget_usd");
    if (budgetText) {
      const parsed = parseUsd(budgetText, "monthly budget");
      if (parsed.ok) budget = parsed.value;
      else problems.push(parsed.problem);
    }
    const steps: Line[] = [
      {
        text:
          "`get_spend_summary`: USD/hour burning now, by resource; `get_balance`: balance and runway.",
        instead: "`get_spend_summary`: USD/hour burning now, by resource.",
      },
      "`get_billing_history` with bucket_size=day, last_n=7: the trend and the biggest items.",
    ];
    if (focus === "all" || focus === "pods") steps.push(POD_SAVINGS);
    if (focus === "all" || focus === "serverless") steps.push(ENDPOINT_SAVINGS);
    if (focus === "all" || focus === "storage") steps.push(VOLUME_SAVINGS);
    steps.push(
      `Show a table (item, cost now, proposed change, saving per month), biggest saving first${
        budget ? `, and whether it brings spend under $${budget} per month` : ""
      }.`,
      ["stop_pod", "terminate_pod", "update_endpoint", "delete_endpoint", "delete_network_volume"]
          .some((tool) => ctx.offers(tool))
        ? {
          text:
            "Apply only what the user agrees to, one change at a time, and show `get_spend_summary` after.",
          instead: "Apply only what the user agrees to, one change at a time.",
        }
        : `The user applies the changes they agree to: ${notOffered("these changes")}.`,
    );
    return renderPlan({
      goal: `Help the user spend less on RunPod (focus: ${focus}${
        budget ? `; target $${budget} per month` : ""
      }).`,
      problems,
      steps,
      safety: [
        CONFIRM_COSTS,
        {
          text:
            "`terminate_pod`, `delete_endpoint` and `delete_network_volume` delete for good: ask first, every time, and never batch them silently.",
          instead:
            "Terminating a pod and deleting an endpoint or network volume delete for good: ask first, every time, and never batch them silently.",
        },
      ],
    }, ctx);
  },
};
