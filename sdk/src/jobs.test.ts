import { create } from "@bufbuild/protobuf";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { JobErrorSchema, JobSchema, JobState, JobType } from "../../gen/vellum/v1/job_pb.js";
import { isVellumError } from "./errors.js";
import { composeConflicts, parseExportKey } from "./jobs.js";

test("parseExportKey: 64 hex digits, base64 or base64url of 32 bytes; anything else is refused", () => {
  const raw = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
  const hex = Array.from(raw, (b) => b.toString(16).padStart(2, "0")).join("");
  const b64 = btoa(String.fromCharCode(...raw));
  assert.equal(parseExportKey(`${hex}\n`), raw);
  assert.equal(parseExportKey(b64), raw);
  assert.equal(parseExportKey(b64.replace(/\+/g, "-").replace(/\//g, "_")), raw);
  for (const bad of ["", "abc", hex.slice(2), btoa("short"), "!!!not base64!!!"]) {
    try {
      parseExportKey(bad);
      assert.unreachable(bad);
    } catch (e) {
      assert.ok(isVellumError(e), bad);
    }
  }
});

test("composeConflicts: the ABORTED errors of a failed COMPOSE_SNAPSHOTS job, nothing for other jobs", () => {
  const errors = [
    create(JobErrorSchema, { code: "ABORTED", subject: "/a", message: "conflict at /a" }),
    create(JobErrorSchema, { code: "ABORTED", message: "3 more conflicts" }),
  ];
  const job = create(JobSchema, { type: JobType.COMPOSE_SNAPSHOTS, state: JobState.FAILED, errors });
  assert.equal(composeConflicts(job), [{ path: "/a", message: "conflict at /a" }]);
  assert.equal(composeConflicts(create(JobSchema, { type: JobType.EXPORT_SNAPSHOT, state: JobState.FAILED, errors })), []);
  assert.equal(composeConflicts(create(JobSchema, { type: JobType.COMPOSE_SNAPSHOTS, state: JobState.SUCCEEDED })), []);
});

test.run();
