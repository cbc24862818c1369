/**
 * The container, storage and placement fields a pod and a cluster's pods share in RunPod's
 * create body, built once from the tools' flat arguments.
 *
 * @module
 */

import { withMarker } from "../policy/protect.ts";

/** The flat arguments both create_pod and create_cluster take. */
export interface ContainerArgs {
  data_center_ids?: string[];
  container_disk_gb?: number;
  volume_gb?: number;
  network_volume_id?: string;
  volume_mount_path: string;
  ports?: string[];
  docker_args?: string;
}

/** Those fields in RunPod's v2 shape. */
export interface ContainerFields {
  dataCenterIds?: string[];
  disk?: number;
  mounts?:
    | { persistent: { size: number; path: string } }
    | { network: { volumeId: string; path: string }[] };
  ports?: string[];
  env: Record<string, string>;
  args?: string;
}

/**
 * Maps the shared arguments to RunPod's fields; `env` gets runpod-mcp's marker (see
 * `--protect-existing`). A pod volume and a network volume are exclusive: the tools refuse both.
 */
export function containerFields(
  args: ContainerArgs,
  env: Record<string, string> | undefined,
): ContainerFields {
  const fields: ContainerFields = { env: withMarker(env) };
  if (args.data_center_ids?.length) fields.dataCenterIds = args.data_center_ids;
  if (args.container_disk_gb !== undefined) fields.disk = args.container_disk_gb;
  if (args.volume_gb !== undefined) {
    fields.mounts = { persistent: { size: args.volume_gb, path: args.volume_mount_path } };
  } else if (args.network_volume_id !== undefined) {
    fields.mounts = {
      network: [{ volumeId: args.network_volume_id, path: args.volume_mount_path }],
    };
  }
  if (args.ports?.length) fields.ports = args.ports;
  if (args.docker_args !== undefined) fields.args = args.docker_args;
  return fields;
}
