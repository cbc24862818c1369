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
