import { create, createRegistry, toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import * as v1 from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";

type V1Request = v1.ServerReflectionRequest;

/**
 * gRPC server reflection over a file registry, so grpcurl, grpcui and Postman discover the API
 * without .proto files. Each file response carries the file and its transitive dependencies not yet
 * sent on this stream. v1 and v1alpha share one implementation (their messages are wire-identical).
 * An unknown file, symbol, containing type or extension is answered in-stream with an error
 * response of code NOT_FOUND (5); the stream goes on.
 */
export function createReflection(roots: DescFile[], serviceNames: string[]) {
  const byName = new Map<string, DescFile>();
  const collect = (f: DescFile) => {
    if (byName.has(f.proto.name)) return;
    byName.set(f.proto.name, f);
    f.dependencies.forEach(collect);
  };
  roots.forEach(collect);
  const registry = createRegistry(...byName.values());

  function fileOfSymbol(name: string): DescFile | undefined {
    const d = registry.get(name);
    if (d) return d.file;
    // Methods are addressed as "pkg.Service.Method".
    const dot = name.lastIndexOf(".");
    const svc = dot > 0 ? registry.getService(name.slice(0, dot)) : undefined;
    return svc?.methods.some((m) => m.name === name.slice(dot + 1)) ? svc.file : undefined;
  }

  function withDeps(file: DescFile, sent: Set<string>): Uint8Array[] {
    const out: Uint8Array[] = [];
    const visit = (f: DescFile, requested: boolean) => {
      if (sent.has(f.proto.name) && !requested) return;
      sent.add(f.proto.name);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
      f.dependencies.forEach((d) => visit(d, false));
    };
    visit(file, true);
    return out;
  }

  function answer(req: V1Request, sent: Set<string>) {
    const base = { validHost: req.host, originalRequest: req };
    const notFound = (what: string) => ({
      ...base,
      messageResponse: { case: "errorResponse" as const, value: { errorCode: 5, errorMessage: `${what} not found` } },
    });
    const files = (f: DescFile | undefined, what: string) =>
      f
        ? { ...base, messageResponse: { case: "fileDescriptorResponse" as const, value: { fileDescriptorProto: withDeps(f, sent) } } }
        : notFound(what);
    const m = req.messageRequest;
    switch (m.case) {
      case "listServices":
        return { ...base, messageResponse: { case: "listServicesResponse" as const, value: { service: serviceNames.map((name) => ({ name })) } } };
      case "fileByFilename":
        return files(byName.get(m.value), `file ${m.value}`);
      case "fileContainingSymbol":
        return files(fileOfSymbol(m.value), `symbol ${m.value}`);
      case "fileContainingExtension": {
        const containing = registry.getMessage(m.value.containingType);
        const ext = containing && registry.getExtensionFor(containing, m.value.extensionNumber);
        return files(ext?.file, `extension ${m.value.containingType}/${m.value.extensionNumber}`);
      }
      case "allExtensionNumbersOfType": {
        const msg = registry.getMessage(m.value);
        if (!msg) return notFound(`type ${m.value}`);
        const nums: number[] = [];
        for (const t of registry) if (t.kind === "extension" && t.extendee.typeName === m.value) nums.push(t.number);
        return { ...base, messageResponse: { case: "allExtensionNumbersResponse" as const, value: { baseTypeName: m.value, extensionNumber: nums } } };
      }
      default:
        return { ...base, messageResponse: { case: "errorResponse" as const, value: { errorCode: 3, errorMessage: "unsupported request" } } };
    }
  }

  const v1Impl: ServiceImpl<typeof v1.ServerReflection> = {
    async *serverReflectionInfo(reqs) {
      const sent = new Set<string>();
      for await (const req of reqs) {
        yield create(v1.ServerReflectionResponseSchema, answer(req, sent) as never);
      }
    },
  };

  const v1alphaImpl: ServiceImpl<typeof v1alpha.ServerReflection> = {
    async *serverReflectionInfo(reqs) {
      const sent = new Set<string>();
      for await (const req of reqs) {
        // v1alpha messages are field-for-field identical to v1.
        const asV1 = create(v1.ServerReflectionRequestSchema, req as never);
        const res = create(v1alpha.ServerReflectionResponseSchema, answer(asV1, sent) as never);
        res.originalRequest = req;
        yield res;
      }
    },
  };

  return { v1: v1Impl, v1alpha: v1alphaImpl };
}
