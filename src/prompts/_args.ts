/**
 * Reading what a person typed into a prompt's arguments ("7B", "$5", "12h"). Prompt arguments are
 * always strings; a value that cannot be read becomes a note in the rendered prompt, not an
 * error, so the model can ask the user instead of the client showing a failure.
 *
 * @module
 */

import { estimateVram } from "../policy/vram.ts";

/** A value read from a prompt argument, or why it could not be read. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Quotes a user's value for the prompt text: JSON string syntax, so it cannot break the layout. */
export function quote(text: string): string {
  return JSON.stringify(text);
}

/** The model sizes `recommend_gpu` takes, in billions of parameters. */
export const MODEL_PARAMS_B = { min: 0.1, max: 2000 } as const;

/**
 * Reads `model_params_b` as billions of parameters, within {@linkcode MODEL_PARAMS_B}: a number
 * (`7`, `1.5`) as `recommend_gpu` takes it, or how people write it: `7B`, `70b`, `350M`, `8x7B`
 * (mixture of experts, total), or a raw count such as `7000000000`.
 */
export function parseModelSize(text: string): Parsed<number> {
  const cleaned = text.trim().replace(/[,_]/g, "").replace(/\s*(params?|parameters?)$/i, "");
  const problem = `Cannot read model_params_b ${
    quote(text)
  }: give billions of parameters from ${MODEL_PARAMS_B.min} to ${MODEL_PARAMS_B.max}, e.g. 7 (7B, 70b and 350M are read too)`;
  const moe = /^(\d+)\s*x\s*(\d+(?:\.\d+)?)\s*b$/i.exec(cleaned);
  let billions: number | undefined;
  if (moe) {
    billions = Number(moe[1]) * Number(moe[2]);
  } else {
    const match = /^(\d+(?:\.\d+)?)\s*([kmbt])?$/i.exec(cleaned);
    if (!match) return { ok: false, problem };
    const amount = Number(match[1]);
    const unit = match[2]?.toLowerCase();
    if (unit === "t") billions = amount * 1000;
    else if (unit === "m") billions = amount / 1000;
    else if (unit === "k") billions = amount / 1_000_000;
    else if (unit === "b") billions = amount;
    // A bare number is billions ("7"), unless it is clearly a raw count ("7000000000").
    else billions = amount >= 1_000_000 ? amount / 1e9 : amount;
  }
  if (!(billions >= MODEL_PARAMS_B.min) || billions > MODEL_PARAMS_B.max) {
    return { ok: false, problem };
  }
  return { ok: true, value: billions };
}

/** Shows billions of parameters the way people write them: `7B`, `1.5B`, `350M`. */
export function formatModelSize(billions: number): string {
  if (billions < 1) return `${Math.round(billions * 1000)}M`;
  return `${Number(billions.toFixed(2))}B`;
}

/** Reads a whole number from 1 to `max`, e.g. a batch size or a GPU count. */
export function parseCount(text: string, label: string, max: number): Parsed<number> {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > max) {
    return {
      ok: false,
      problem: `Cannot read ${label} ${quote(text)}: give a whole number from 1 to ${max}`,
    };
  }
  return { ok: true, value };
}

/** Reads an amount in US dollars: `5`, `$5`, `12.50 USD`. */
export function parseUsd(text: string, label: string): Parsed<number> {
  const match = /^\$?\s*(\d+(?:\.\d+)?)\s*(usd|\$)?$/i.exec(text.trim());
  const value = match ? Number(match[1]) : NaN;
  if (!(value > 0) || value > 1_000_000) {
    return {
      ok: false,
      problem: `Cannot read ${label} ${quote(text)}: give an amount in USD, e.g. 25 or $12.50`,
    };
  }
  return { ok: true, value };
}

/** Reads a duration in hours: `12`, `12h`, `90 min`, `2 days`. */
export function parseHours(text: string, label: string): Parsed<number> {
  const match = /^(\d+(?:\.\d+)?)\s*(h|hrs?|hours?|m|mins?|minutes?|d|days?)?$/i.exec(text.trim());
  const unit = match?.[2]?.toLowerCase() ?? "h";
  const amount = match ? Number(match[1]) : NaN;
  const hours = unit.startsWith("m") ? amount / 60 : unit.startsWith("d") ? amount * 24 : amount;
  if (!(hours > 0) || hours > 8760) {
    return {
      ok: false,
      problem: `Cannot read ${label} ${quote(text)}: give a duration, e.g. 12h, 90 min or 2 days`,
    };
  }
  return { ok: true, value: Number(hours.toFixed(2)) };
}

/** What kind of GPU work a prompt is about, read from free text. */
export type TaskKind = "inference" | "fine-tuning" | "training" | "diffusion" | "other";

/** `recommend_gpu`'s workloads. */
export const WORKLOADS = ["inference", "lora_finetune", "full_finetune", "training"] as const;

/** One of {@linkcode WORKLOADS}. */
export type Workload = typeof WORKLOADS[number];

/**
 * Reads `workload`: one of `recommend_gpu`'s values (`lora_finetune`) or free text
 * (`LoRA fine-tune`, `SDXL images`). Gives the kind of work for sizing and the value for
 * `recommend_gpu`.
 */
export function parseWorkload(text: string): { kind: TaskKind; workload: Workload } {
  const exact = (WORKLOADS as readonly string[]).find((w) => w === text.trim().toLowerCase()) as
    | Workload
    | undefined;
  const kind: TaskKind = exact === "lora_finetune"
    ? "fine-tuning"
    : exact === "full_finetune" || exact === "training"
    ? "training"
    : exact === "inference"
    ? "inference"
    : parseTaskKind(text);
  const workload: Workload = exact ??
    (kind === "fine-tuning"
      ? "lora_finetune"
      : kind === "training"
      ? "full_finetune"
      : "inference");
  return { kind, workload };
}

/** Reads a task type: `inference`, `LoRA fine-tune`, `pretraining`, `SDXL images`, … */
export function parseTaskKind(text: string): TaskKind {
  const t = text.toLowerCase();
  if (/diffus|sdxl|stable|flux|image|comfy/.test(t)) return "diffusion";
  if (/fine|lora|qlora|sft|adapter/.test(t)) return "fine-tuning";
  if (/train/.test(t)) return "training";
  if (/infer|serv|chat|llm|generat|embed|predict/.test(t)) return "inference";
  return "other";
}

/**
 * VRAM need in GB for one copy of the model, from the documented estimate that `recommend_gpu`
 * uses (bf16; inference for inference, diffusion and other work, LoRA for fine-tuning, Adam for
 * full training), rounded up.
 */
export function estimateVramGb(kind: TaskKind, billions: number, batchSize = 1): number {
  const workload = kind === "training"
    ? "full_finetune"
    : kind === "fine-tuning"
    ? "lora_finetune"
    : "inference";
  return Math.ceil(
    estimateVram({ paramsB: billions, precision: "bf16", workload, batchSize }).totalGb,
  );
}
