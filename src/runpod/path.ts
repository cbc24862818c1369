/**
 * Safe building of RunPod URL paths from caller-supplied ids.
 *
 * @module
 */

/**
 * Encodes one path segment (an id) for a RunPod URL, rejecting an empty or blank value so that
 * `/v2/pods/${id}` can never silently become the collection route `/v2/pods/`.
 *
 * @example
 * ```ts
 * const path = `/v2/catalog/gpus/${pathSegment("NVIDIA GeForce RTX 4090", "GPU type id")}`;
 * // "/v2/catalog/gpus/NVIDIA%20GeForce%20RTX%204090"
 * ```
 *
 * @param value The raw id.
 * @param label What the id is, for the error message, e.g. `pod id`.
 * @throws {TypeError} When `value` is not a string or is blank.
 */
export function pathSegment(value: string, label = "id"): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new TypeError(`Cannot build RunPod request path: ${label} is empty`);
  }
  return encodeURIComponent(value);
}
