/**
 * createVellumClient covers the server: every service the server registers (SERVICES in
 * server/src/app.ts) has a client, its generated messages and enums are exported from the SDK, and
 * every method of every client reaches the real server (no UNIMPLEMENTED).
 */
import type { DescEnum, DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SERVICES } from "../../server/src/app.js";
import * as sdk from "../src/index.js";
import { createVellumClient, VELLUM_SERVICES, VellumError } from "../src/index.js";
import { NODE_TRANSPORTS, startSdkServer, type SdkServer } from "./support/sdk-server.js";

/** Served for tools (grpcurl, buf curl), not for applications: the one exclusion, by design. */
const TOOL_ONLY = new Set(["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);

const clientServices = Object.values(VELLUM_SERVICES) as DescService[];

/** The exported name protobuf-es gives a message or enum's schema: nested names joined with "_". */
function schemaName(desc: DescMessage | DescEnum): string {
  return `${desc.typeName.slice(desc.file.proto.package.length + 1).replace(/\./g, "_")}Schema`;
}

function* declared(file: DescFile): Generator<DescMessage | DescEnum> {
  function* walk(m: DescMessage): Generator<DescMessage | DescEnum> {
    yield m;
    yield* m.nestedEnums;
    for (const n of m.nestedMessages) yield* walk(n);
  }
  yield* file.enums;
  for (const m of file.messages) yield* walk(m);
}

const test = suite<{ srv: SdkServer }>("sdk: createVellumClient covers every served service", { srv: undefined as unknown as SdkServer });

test("every service the server registers has a client (except reflection, for tools)", () => {
  const served = SERVICES.map((s) => s.typeName).filter((n) => !TOOL_ONLY.has(n));
  const covered = new Set(clientServices.map((s) => s.typeName));
  assert.equal(served.filter((n) => !covered.has(n)), []);
  assert.equal(clientServices.map((s) => s.typeName).filter((n) => !SERVICES.some((s) => s.typeName === n)), [], "a client for a service the server does not serve");
});

test("the SDK exports the schema of every message and enum of the services' files and their messages' files", () => {
  const files = new Set<DescFile>();
  for (const s of clientServices) {
    files.add(s.file);
    for (const m of s.methods) for (const d of [m.input, m.output]) if (!d.file.proto.package.startsWith("google.")) files.add(d.file);
  }
  const exported = sdk as Record<string, unknown>;
  const missing = [...files].flatMap((f) => [...declared(f)].filter((d) => exported[schemaName(d)] !== d).map((d) => `${f.name}: ${schemaName(d)}`));
  assert.equal(missing, []);
});

test.before(async (ctx) => {
  ctx.srv = await startSdkServer();
});
test.after(async (ctx) => {
  await ctx.srv?.close();
});

test("every method of every client reaches the server", async (ctx) => {
  const client = createVellumClient(NODE_TRANSPORTS[0].make(ctx.srv.baseUrl), { retry: false }) as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>;
  const unimplemented: string[] = [];
  for (const [name, service] of Object.entries(VELLUM_SERVICES) as [string, DescService][]) {
    for (const method of service.methods) {
      const call = client[name][method.localName];
      assert.type(call, "function", `${name}.${method.localName}`);
      const signal = AbortSignal.timeout(5000);
      try {
        if (method.methodKind === "unary") await call({}, { signal });
        else if (method.methodKind === "client_streaming") await call((async function* () {})(), { signal });
        else for await (const _ of call({}, { signal }) as AsyncIterable<unknown>) break; // Health.Watch never ends by itself
      } catch (e) {
        assert.instance(e, VellumError, `${name}.${method.localName}: ${String(e)}`);
        if ((e as VellumError).code === Code.Unimplemented) unimplemented.push(`${service.typeName}/${method.name}`);
      }
    }
  }
  assert.equal(unimplemented, []);
});

test.run();
