/**
 * The container settings pods, serverless endpoints and templates share (RunPod's
 * `ContainerConfig`): one request schema and one way to apply a partial update.
 *
 * @module
 */

import { arr, int, type Schema, str, stringMap } from "./validate.ts";

/** Request-schema properties of `ContainerConfig`. */
export const CONTAINER_PROPS: Readonly<Record<string, Schema>> = {
  args: str(),
  disk: int(1),
  env: stringMap,
  image: str(),
  ports: arr(str()),
  registry: str({ nullable: true }),
};

/** The stored container fields of a pod, endpoint or template. */
export interface ContainerFields {
  image: string;
  args: string;
  disk: number;
  ports: string[];
  env: Record<string, string>;
  registry: string | null;
}

/** Copies every container field a PATCH body sets onto `target`; absent fields stay as they are. */
export function patchContainer(target: ContainerFields, body: Partial<ContainerFields>): void {
  if (body.image !== undefined) target.image = body.image;
  if (body.args !== undefined) target.args = body.args;
  if (body.disk !== undefined) target.disk = body.disk;
  if (body.ports !== undefined) target.ports = [...body.ports];
  if (body.env !== undefined) target.env = { ...body.env };
  if (body.registry !== undefined) target.registry = body.registry;
}
