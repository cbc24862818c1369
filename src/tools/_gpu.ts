/**
 * Resolving what a model or person calls a GPU ("RTX 4090", "h100 sxm", "NVIDIA A40") to a
 * catalog row, with close matches when nothing fits.
 *
 * @module
 */

import type { GpuType } from "../runpod/mod.ts";
import { ToolInputError } from "./_define.ts";

function squash(text: string): string {
  return text.toLowerCase().replace(/\b(nvidia|geforce|amd|instinct)\b/g, "").replace(
    /[^a-z0-9]/g,
    "",
  );
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(
        row[j]! + 1,
        row[j - 1]! + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The catalog rows closest to `input`, best first. */
export function closeGpuMatches(gpus: readonly GpuType[], input: string, limit = 3): GpuType[] {
  const wanted = squash(input);
  return [...gpus]
    .map((gpu) => {
      const names = [squash(gpu.id), squash(gpu.name)];
      const contains = names.some((n) => n.includes(wanted) || wanted.includes(n));
      const distance = Math.min(...names.map((n) => editDistance(wanted, n)));
      return { gpu, score: contains ? distance / 4 : distance };
    })
    .sort((a, b) => a.score - b.score)
    .slice(0, limit)
    .map((entry) => entry.gpu);
}

/**
 * Finds the GPU type for an id (`NVIDIA GeForce RTX 4090`) or display name (`RTX 4090`),
 * ignoring case, spacing and vendor words. Ambiguous or unknown input throws a
 * {@linkcode ToolInputError} that lists close matches.
 */
export function resolveGpuType(gpus: readonly GpuType[], input: string): GpuType {
  const exact = gpus.find((g) => g.id === input);
  if (exact) return exact;
  const wanted = squash(input);
  const matches = gpus.filter((g) => squash(g.id) === wanted || squash(g.name) === wanted);
  if (matches.length === 1) return matches[0]!;
  const shown = JSON.stringify(input.slice(0, 80));
  if (matches.length > 1) {
    throw new ToolInputError(
      `Cannot pick a GPU type: ${shown} matches ${
        matches.map((g) => `"${g.id}"`).join(", ")
      }; pass the exact id`,
    );
  }
  const close = closeGpuMatches(gpus, input);
  throw new ToolInputError(
    `Cannot find GPU type ${shown}. Close matches: ${
      close.map((g) => `"${g.id}" (${g.name}, ${g.memory} GB)`).join(", ")
    }. list_gpu_types shows them all`,
  );
}

/** What a GPU identifier names: one GPU type, or a serverless pool and its member types. */
export type GpuIdentifier =
  | { kind: "type"; gpu: GpuType }
  | { kind: "pool"; pool: string; members: GpuType[] };

/**
 * Resolves anything `list_gpu_types` or `recommend_gpu` hands out as a GPU: a type id, a display
 * name, or a serverless pool id (`AMPERE_24`, any case). Otherwise as {@linkcode resolveGpuType}.
 */
export function resolveGpuIdentifier(gpus: readonly GpuType[], input: string): GpuIdentifier {
  const pool = input.trim().toUpperCase();
  const members = gpus.filter((g) => g.pool !== null && g.pool.toUpperCase() === pool);
  const named = gpus.some((g) => g.id === input || g.name === input);
  if (members.length > 0 && !named) return { kind: "pool", pool: members[0]!.pool!, members };
  return { kind: "type", gpu: resolveGpuType(gpus, input) };
}

/** Images built for NVIDIA's CUDA: PyTorch/vLLM/TGI CUDA builds, unless they say ROCm. */
const CUDA_IMAGE = /cuda|nvidia|pytorch|vllm|text-generation-inference|tensorflow|\btgi\b/i;

/**
 * A warning when a CUDA image is put on an AMD GPU, where it cannot use the GPU; undefined
 * otherwise. An image that names ROCm is taken as built for AMD.
 */
export function cudaOnAmdWarning(gpu: GpuType, image: string | undefined): string | undefined {
  if (gpu.manufacturer !== "AMD" || !image || /rocm/i.test(image) || !CUDA_IMAGE.test(image)) {
    return undefined;
  }
  return `Warning: ${gpu.name} is an AMD GPU and ${image} looks like a CUDA image; CUDA code will not see the GPU. Use a ROCm build (e.g. rocm/pytorch, rocm/vllm) or an NVIDIA GPU.`;
}
