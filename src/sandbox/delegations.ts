/**
 * AWS ECR delegations (`/v2/registries/delegations`): RunPod may pull images from one ECR
 * repository the account granted it.
 *
 * @module
 */

import type { Route } from "./context.ts";
import { iso, json, noContent, problem } from "./http.ts";
import type { DelegationRecord, SimulatorState } from "./state.ts";
import { obj, str, validate } from "./validate.ts";

const createSchema = obj({
  resource: str({ minLength: 1 }),
  name: str({ nullable: true }),
}, ["resource"]);

// arn:<partition>:ecr:<region>:<12-digit account>:repository/<name>
const ECR_ARN = /^arn:aws(?:-cn|-us-gov)?:ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/;

function view(d: DelegationRecord, state: SimulatorState): Record<string, unknown> {
  return {
    id: d.id,
    name: d.name,
    delegatorUserId: state.user.id,
    awsUser: d.awsUser,
    repository: d.repository,
    tag: d.tag,
    awsRegion: d.awsRegion,
    dockerRegistryUri: `${d.awsUser}.dkr.ecr.${d.awsRegion}.amazonaws.com`,
    createdAt: iso(d.createdAt),
  };
}

/** Routes for listing, creating and revoking ECR delegations. */
export const delegationRoutes: readonly Route[] = [
  {
    method: "GET",
    path: "/v2/registries/delegations",
    handler: (ctx) =>
      json({
        delegations: [...ctx.state.delegations.values()].map((d) => view(d, ctx.state)),
      }),
  },
  {
    method: "POST",
    path: "/v2/registries/delegations",
    handler: (ctx) => {
      if (ctx.bodyInvalid) return problem(400, "request body must be valid JSON");
      const errors = validate(createSchema, ctx.body ?? null);
      if (errors.length > 0) return problem(422, "Request validation failed.", errors);
      const b = ctx.body as { resource: string; name?: string | null };
      const m = ECR_ARN.exec(b.resource);
      if (!m) {
        return problem(
          400,
          `'${b.resource}' is not an ECR repository ARN (arn:aws:ecr:<region>:<account>:repository/<name>)`,
        );
      }
      const [, region, account, repository] = m as unknown as [string, string, string, string];
      const taken = [...ctx.state.delegations.values()].some((d) =>
        d.awsRegion === region && d.awsUser === account && d.repository === repository
      );
      if (taken) return problem(400, `a delegation for '${b.resource}' already exists`);
      const d: DelegationRecord = {
        id: `deleg_${ctx.ids.chars(12)}`,
        name: b.name ?? null,
        awsUser: account,
        repository,
        tag: "latest",
        awsRegion: region,
        createdAt: ctx.now,
      };
      ctx.state.delegations.set(d.id, d);
      return json(view(d, ctx.state), 201);
    },
  },
  {
    method: "DELETE",
    path: "/v2/registries/delegations/:id",
    handler: (ctx) => {
      const id = ctx.params.id ?? "";
      if (!ctx.state.delegations.delete(id)) return problem(404, `delegation '${id}' not found`);
      return noContent();
    },
  },
];
