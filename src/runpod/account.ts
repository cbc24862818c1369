/**
 * Account-level settings: the SSH public keys RunPod installs into new pods (REST v2), and RunPod
 * secrets (GraphQL only). Secret values are write-only: no function here returns one.
 *
 * @module
 */

import { z } from "zod";
import type { RunpodClient } from "./client.ts";
import { scrubApiError } from "./storage.ts";

/** Body of `GET`/`PUT /v2/account/ssh-keys`: one authorized_keys line per entry. */
export const SshKeysSchema = z.looseObject({ keys: z.array(z.string()) });

/** A RunPod secret's metadata; the value is never returned. */
export const SecretSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  createdAt: z.string().nullish(),
});
/** A secret as RunPod reports it (no value). */
export type Secret = z.infer<typeof SecretSchema>;

const SECRETS_QUERY = "query { myself { secrets { id name description createdAt } } }";
const SecretsDataSchema = z.looseObject({
  myself: z.looseObject({ secrets: z.array(SecretSchema).nullish() }).nullable(),
});

// The value travels in a variable whose name marks it secret, so every masking path (the guard's
// dry run, logs) hides it without knowing about this mutation.
const SECRET_CREATE = `mutation SecretCreate($name: String!, $secretValue: String!) {
  secretCreate(input: {name: $name, value: $secretValue}) { id name description createdAt }
}`;
const SecretCreateDataSchema = z.looseObject({ secretCreate: SecretSchema });

const SECRET_DELETE = `mutation SecretDelete($id: String!) { secretDelete(id: $id) }`;
const SecretDeleteDataSchema = z.looseObject({ secretDelete: z.unknown() });

/** Reads the account's SSH public keys (`GET /v2/account/ssh-keys`). */
export async function getSshKeys(client: RunpodClient, signal?: AbortSignal): Promise<string[]> {
  const body = await client.rest({
    method: "GET",
    path: "/v2/account/ssh-keys",
    schema: SshKeysSchema,
    signal,
  });
  return body.keys;
}

/**
 * Replaces the account's whole SSH key list (`PUT /v2/account/ssh-keys`) and returns the list
 * RunPod stored. A full replacement, so sending it twice changes nothing more.
 */
export async function putSshKeys(
  client: RunpodClient,
  keys: readonly string[],
  signal?: AbortSignal,
): Promise<string[]> {
  const body = await client.rest({
    method: "PUT",
    path: "/v2/account/ssh-keys",
    body: { keys: [...keys] },
    schema: SshKeysSchema,
    idempotent: true,
    signal,
  });
  return body.keys;
}

/** Lists the account's secrets, names and metadata only (GraphQL `myself { secrets }`). */
export async function listSecrets(client: RunpodClient, signal?: AbortSignal): Promise<Secret[]> {
  const data = await client.graphql(SECRETS_QUERY, undefined, SecretsDataSchema, signal);
  return data.myself?.secrets ?? [];
}

/**
 * Creates a secret (GraphQL `secretCreate`); never retried after a 5xx or network error. Should
 * RunPod quote the value back in an error, it is scrubbed before the error leaves here.
 */
export async function createSecret(
  client: RunpodClient,
  name: string,
  value: string,
  signal?: AbortSignal,
): Promise<Secret> {
  try {
    const data = await client.graphql(
      SECRET_CREATE,
      { name, secretValue: value },
      SecretCreateDataSchema,
      signal,
    );
    return data.secretCreate;
  } catch (error) {
    throw scrubApiError(error, value);
  }
}

/** Deletes a secret by id (GraphQL `secretDelete`). */
export async function deleteSecret(
  client: RunpodClient,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  await client.graphql(SECRET_DELETE, { id }, SecretDeleteDataSchema, signal);
}
