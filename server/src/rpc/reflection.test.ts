import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as v1 from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { file_vellum_v1_snapshot_service } from "../../../gen/vellum/v1/snapshot_service_pb.js";
import { createReflection } from "./reflection.js";

const reflection = createReflection([file_vellum_v1_snapshot_service], ["vellum.v1.SnapshotService"]);
const transport = createRouterTransport((router) => {
  router.service(v1.ServerReflection, reflection.v1);
  router.service(v1alpha.ServerReflection, reflection.v1alpha);
});

type Request = MessageInitShape<typeof v1.ServerReflectionRequestSchema>;
const unknown: Request[] = [
  { messageRequest: { case: "fileContainingExtension", value: { containingType: "no.such.Message", extensionNumber: 100 } } },
  { messageRequest: { case: "fileContainingExtension", value: { containingType: "vellum.v1.Snapshot", extensionNumber: 100 } } },
  { messageRequest: { case: "fileContainingSymbol", value: "no.such.Symbol" } },
  { messageRequest: { case: "fileContainingSymbol", value: "vellum.v1.SnapshotService.NoSuchMethod" } },
  { messageRequest: { case: "fileByFilename", value: "no/such/file.proto" } },
  { messageRequest: { case: "allExtensionNumbersOfType", value: "no.such.Message" } },
];
const known: Request = { messageRequest: { case: "fileContainingSymbol", value: "vellum.v1.SnapshotService.GetSnapshot" } };

async function* requests(list: Request[]) {
  yield* list;
}

for (const [version, service] of [
  ["v1", v1.ServerReflection],
  ["v1alpha", v1alpha.ServerReflection],
] as const) {
  test(`${version}: unknown containing types, symbols, files and extensions answer NOT_FOUND and the stream goes on`, async () => {
    const client = createClient(service as typeof v1.ServerReflection, transport);
    const answers = [];
    for await (const res of client.serverReflectionInfo(requests([...unknown, known]))) answers.push(res.messageResponse);
    assert.is(answers.length, unknown.length + 1);
    for (const [i, answer] of answers.slice(0, -1).entries()) {
      assert.is(answer.case, "errorResponse", `request ${i}`);
      assert.is(answer.case === "errorResponse" && answer.value.errorCode, 5, `request ${i}: NOT_FOUND`);
    }
    const last = answers.at(-1)!;
    assert.is(last.case, "fileDescriptorResponse");
    assert.ok(last.case === "fileDescriptorResponse" && last.value.fileDescriptorProto.length > 0);
  });
}

test.run();
