import assert from "node:assert/strict";
import {
  loadOpenApiContract,
  missingDocumentWarning,
  openApiDocumentLocation,
  requireContract,
} from "./_openapi.ts";
import type { ContractIssue } from "./_openapi.ts";

// Decided once at load time, because Deno.test's `ignore` must be known when a test is declared.
const location = openApiDocumentLocation();
const rawDocument = await readRawDocument(location);
const inCi = Boolean(Deno.env.get("CI"));
// In CI a missing document must fail, so the tests run and requireContract() throws.
const ignore = rawDocument === undefined && !inCi;
if (ignore) console.error(missingDocumentWarning(String(location)));

const VALID_POD_BODY = {
  name: "x",
  image: "runpod/pytorch:2.4.0",
  gpu: { id: "NVIDIA GeForce RTX 4090", count: 1 },
};

type Json = Record<string, unknown>;

async function readRawDocument(where: string | URL): Promise<Json | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(where)) as Json;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function at(node: unknown, ...keys: string[]): unknown {
  for (const key of keys) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/** Follows a local `$ref` in the raw document, the way the OpenAPI spec defines it. */
function deref(node: unknown): unknown {
  for (let hops = 0; hops < 16; hops++) {
    const ref = at(node, "$ref");
    if (typeof ref !== "string") return node;
    node = at(rawDocument, ...ref.slice(2).split("/").map((k) => k.replaceAll("~1", "/")));
  }
  return node;
}

function firstExample(mediaType: unknown): unknown {
  const examples = at(mediaType, "examples");
  if (typeof examples !== "object" || examples === null) return undefined;
  const first = Object.values(examples)[0];
  return first === undefined ? undefined : at(deref(first), "value");
}

const podExample = firstExample(
  at(
    rawDocument,
    "paths",
    "/v2/pods/{id}",
    "get",
    "responses",
    "200",
    "content",
    "application/json",
  ),
);

async function contractFor(t: Deno.TestContext) {
  const contract = await requireContract(t);
  assert.ok(contract, "the OpenAPI document should be present here");
  return contract;
}

function messages(issues: ContractIssue[]): string[] {
  return issues.map((issue) => issue.message);
}

function test(name: string, fn: (t: Deno.TestContext) => Promise<void>, skip = false): void {
  Deno.test({ name, ignore: ignore || skip, fn });
}

test("checkRequest() accepts a minimal valid CreatePodRequest", async (t) => {
  const contract = await contractFor(t);
  assert.deepEqual(contract.checkRequest("POST", "/v2/pods", VALID_POD_BODY), []);
});

test("checkRequest() reports an unknown field as an additional property", async (t) => {
  const contract = await contractFor(t);
  const issues = contract.checkRequest("POST", "/v2/pods", {
    ...VALID_POD_BODY,
    dataCenterId: "EU-RO-1",
  });
  assert.deepEqual(issues, [{
    where: "POST /v2/pods request body",
    message: "/ must NOT have additional property 'dataCenterId'",
  }]);
});

test("checkRequest() reports a wrongly typed field with its path", async (t) => {
  const contract = await contractFor(t);
  const issues = contract.checkRequest("POST", "/v2/pods", {
    ...VALID_POD_BODY,
    gpu: { id: "NVIDIA GeForce RTX 4090", count: "1" },
  });
  assert.deepEqual(messages(issues), ["/gpu/count must be integer"]);
});

test("checkRequest() reports a missing required field", async (t) => {
  const contract = await contractFor(t);
  const { name: _, ...nameless } = VALID_POD_BODY;
  assert.deepEqual(messages(contract.checkRequest("POST", "/v2/pods", nameless)), [
    "/ must have required property 'name'",
  ]);
});

test("checkRequest() enforces if/then rules such as image being required without templateId", async (t) => {
  const contract = await contractFor(t);
  const { image: _, ...imageless } = VALID_POD_BODY;
  assert.deepEqual(messages(contract.checkRequest("POST", "/v2/pods", imageless)), [
    "/ must have required property 'image'",
  ]);
  assert.deepEqual(
    contract.checkRequest("POST", "/v2/pods", { ...imageless, templateId: "30zmvf89kd" }),
    [],
  );
});

test("checkRequest() still applies a conditional then schema after rewriting it", async (t) => {
  const contract = await contractFor(t);
  const endpoint = {
    name: "ep",
    image: "runpod/worker:1",
    type: "LOAD_BALANCER",
    gpu: { pools: ["ADA_24"], count: 1 },
    scaling: { type: "REQUEST_COUNT", requestCount: 4 },
  };
  assert.deepEqual(contract.checkRequest("POST", "/v2/serverless", endpoint), []);
  const issues = contract.checkRequest("POST", "/v2/serverless", {
    ...endpoint,
    scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
  });
  assert.ok(issues.length > 0, "a load balancer scaling on queue delay must fail");
  assert.ok(messages(issues).some((m) => m.startsWith("/scaling")), messages(issues).join("\n"));
});

test("checkRequest() rejects a body for an operation that takes none", async (t) => {
  const contract = await contractFor(t);
  assert.deepEqual(contract.checkRequest("GET", "/v2/pods", undefined), []);
  assert.deepEqual(messages(contract.checkRequest("DELETE", "/v2/pods/abc", { force: true })), [
    "the operation takes no request body",
  ]);
});

test("checkRequest() returns one issue for an unknown operation", async (t) => {
  const contract = await contractFor(t);
  const issues = contract.checkRequest("PUT", "/v2/pods/abc", {});
  assert.equal(issues.length, 1);
  assert.match(
    issues[0]?.message ?? "",
    /no such operation: the path exists only for GET, DELETE, PATCH$/,
  );
  assert.equal(contract.checkRequest("POST", "/v2/nothing-here", {}).length, 1);
});

test(
  "checkResponse() accepts the document's own Pod example and rejects a broken copy",
  async (t) => {
    const contract = await contractFor(t);
    assert.deepEqual(contract.checkResponse("GET", "/v2/pods/7h9k2m4n6p", 200, podExample), []);
    const broken = { ...(podExample as Json), status: "BOOTING" };
    const issues = contract.checkResponse("GET", "/v2/pods/7h9k2m4n6p", 200, broken);
    assert.ok(messages(issues).some((m) => m.startsWith("/status must be equal to one of")));
    assert.equal(issues[0]?.where, "GET /v2/pods/{id} response 200");
  },
  podExample === undefined,
);

test("checkResponse() rejects a body on a 204 and accepts an empty one", async (t) => {
  const contract = await contractFor(t);
  assert.deepEqual(contract.checkResponse("DELETE", "/v2/pods/abc", 204, undefined), []);
  assert.deepEqual(contract.checkResponse("DELETE", "/v2/pods/abc", 204, ""), []);
  assert.deepEqual(messages(contract.checkResponse("DELETE", "/v2/pods/abc", 204, {})), [
    "must have no body",
  ]);
});

test("checkResponse() rejects an undeclared success status", async (t) => {
  const contract = await contractFor(t);
  const issues = contract.checkResponse("POST", "/v2/pods", 200, podExample ?? {});
  assert.equal(issues.length, 1);
  assert.match(issues[0]?.message ?? "", /^status 200 is not declared \(declared: 201, /);
});

test("checkResponse() checks an undeclared error status against the default response", async (t) => {
  const contract = await contractFor(t);
  const problem = { title: "Payment Required", status: 402, detail: "insufficient balance" };
  const type = "application/problem+json";
  assert.deepEqual(contract.checkResponse("POST", "/v2/pods", 402, problem, type), []);
  assert.deepEqual(
    messages(contract.checkResponse("POST", "/v2/pods", 402, { title: "x", status: 402 }, type)),
    ["/ must have required property 'detail'"],
  );
});

test("checkResponse() rejects a content type the response does not declare", async (t) => {
  const contract = await contractFor(t);
  const problem = { title: "Unauthorized", status: 401, detail: "missing bearer token" };
  assert.deepEqual(
    contract.checkResponse("GET", "/v2/pods", 401, problem, "application/problem+json"),
    [],
  );
  assert.deepEqual(
    messages(contract.checkResponse("GET", "/v2/pods", 401, problem, "application/json")),
    ["content type application/json is not declared (declared: application/problem+json)"],
  );
  assert.deepEqual(
    contract.checkResponse("GET", "/v2/pods", 200, { pods: [] }, "application/json; charset=utf-8"),
    [],
  );
});

test("findOperation() matches templates and prefers literal segments", async (t) => {
  const contract = await contractFor(t);
  assert.deepEqual(contract.findOperation("post", "/v2/pods/abc123/action"), {
    template: "/v2/pods/{id}/action",
    operationId: "podAction",
  });
  assert.deepEqual(contract.findOperation("GET", "/v2/registries/delegations"), {
    template: "/v2/registries/delegations",
    operationId: "listDelegations",
  });
  assert.deepEqual(contract.findOperation("GET", "/v2/registries/clzdaifot0001"), {
    template: "/v2/registries/{id}",
    operationId: "getRegistry",
  });
  assert.deepEqual(contract.findOperation("DELETE", "/v2/registries/delegations/d1"), {
    template: "/v2/registries/delegations/{id}",
    operationId: "revokeDelegation",
  });
  assert.equal(
    contract.findOperation("GET", "/v2/pods?includeClusterPods=true")?.operationId,
    "listPods",
  );
  assert.equal(contract.findOperation("GET", "/v2/pods/abc/extra/deep"), undefined);
  assert.equal(contract.findOperation("PUT", "/v2/pods/abc"), undefined);
});

test("operations() lists every operation in the document", async (t) => {
  const contract = await contractFor(t);
  const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
  let expected = 0;
  for (const item of Object.values(at(rawDocument, "paths") as Json)) {
    expected += methods.filter((method) => at(item, method) !== undefined).length;
  }
  const operations = contract.operations();
  assert.equal(operations.length, expected);
  assert.ok(expected > 0);
  assert.ok(operations.some((op) => op.method === "POST" && op.operationId === "createPod"));
});

test("every example in the document passes its own schema", async (t) => {
  const contract = await contractFor(t);
  const failures: string[] = [];
  let checked = 0;
  for (const [template, item] of Object.entries(at(rawDocument, "paths") as Json)) {
    for (const [method, operation] of Object.entries(item as Json)) {
      if (method === "parameters") continue;
      const concrete = template.replace(/\{[^}]+\}/g, "abc");
      const request = at(deref(at(operation, "requestBody")), "content", "application/json");
      for (const example of Object.values((at(request, "examples") ?? {}) as Json)) {
        checked++;
        const issues = contract.checkRequest(method, concrete, at(deref(example), "value"));
        failures.push(...issues.map((i) => `${i.where}: ${i.message}`));
      }
      for (const [status, response] of Object.entries((at(operation, "responses") ?? {}) as Json)) {
        const content = (at(deref(response), "content") ?? {}) as Json;
        for (const [type, media] of Object.entries(content)) {
          if (!type.endsWith("json")) continue;
          for (const example of Object.values((at(media, "examples") ?? {}) as Json)) {
            checked++;
            const code = status === "default" ? 500 : Number(status);
            const value = at(deref(example), "value");
            const issues = contract.checkResponse(method, concrete, code, value, type);
            failures.push(...issues.map((i) => `${i.where}: ${i.message}`));
          }
        }
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(checked > 0, "the document should carry examples");
});

Deno.test("loadOpenApiContract() returns undefined when the document is absent", async () => {
  assert.equal(await loadOpenApiContract("/nonexistent/openapi-v2.json"), undefined);
});

Deno.test("requireContract() throws in CI when the document is absent", async () => {
  await withEnv("CI", "true", async () => {
    await assert.rejects(
      requireContract(undefined, { path: "/nonexistent/openapi-v2.json" }),
      /^Error: Cannot run contract test: the OpenAPI document \/nonexistent\/openapi-v2.json is missing/,
    );
  });
});

Deno.test("requireContract() warns loudly and returns undefined outside CI", async (t) => {
  const printed: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => printed.push(args.join(" "));
  try {
    await withEnv("CI", undefined, async () => {
      assert.equal(
        await requireContract(t, { path: "/nonexistent/openapi-v2.json" }),
        undefined,
      );
    });
  } finally {
    console.error = original;
  }
  assert.equal(printed.length, 1);
  assert.match(printed[0] ?? "", /SKIPPED in "requireContract\(\) warns/);
  assert.match(printed[0] ?? "", /RUNPOD_OPENAPI_PATH/);
  assert.ok((printed[0] ?? "").split("\n").length >= 4);
});

async function withEnv(name: string, value: string | undefined, fn: () => Promise<void>) {
  const before = Deno.env.get(name);
  if (value === undefined) Deno.env.delete(name);
  else Deno.env.set(name, value);
  try {
    await fn();
  } finally {
    if (before === undefined) Deno.env.delete(name);
    else Deno.env.set(name, before);
  }
}
