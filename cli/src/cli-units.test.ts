import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, VellumError } from "@vellum/sdk";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CliError, EXIT, exitCodeFor, exitCodeForName, exitCodeOf } from "./exit-codes.js";
import { failureLine, failureReport } from "./failure.js";
import { colourAllowed } from "./output.js";
import { parseDuration, parseLabels, parseResource, parseTime } from "./parse.js";
import { TUNED_ENV, TUNED_FLAG, tunedRelaunch } from "./runtime.js";
import { configPath, readConfigFile, resolveSettings, writeConfigFile } from "./settings.js";

test("every gRPC code has its documented exit code; names as jobs report them map the same way", () => {
  const expected: [Code, number][] = [
    [Code.NotFound, 3],
    [Code.Unauthenticated, 4],
    [Code.PermissionDenied, 4],
    [Code.InvalidArgument, 5],
    [Code.OutOfRange, 5],
    [Code.FailedPrecondition, 6],
    [Code.AlreadyExists, 6],
    [Code.Aborted, 6],
    [Code.Unavailable, 7],
    [Code.DeadlineExceeded, 7],
    [Code.ResourceExhausted, 7],
    [Code.Canceled, 7],
    [Code.DataLoss, 8],
    [Code.Internal, 1],
    [Code.Unknown, 1],
    [Code.Unimplemented, 1],
  ];
  for (const [code, exit] of expected) assert.is(exitCodeFor(code), exit, Code[code]);
  assert.is(exitCodeForName("DATA_LOSS"), EXIT.DATA_LOSS);
  assert.is(exitCodeForName("CANCELLED"), EXIT.UNAVAILABLE);
  assert.is(exitCodeForName("NO_SUCH_CODE"), EXIT.ERROR);
  assert.is(exitCodeOf(new CliError("bad flag")), EXIT.USAGE);
  assert.is(exitCodeOf(new Error("EACCES")), EXIT.ERROR);
});

test("a failure is one line with code, message, field violations and request id; --debug adds the stack", () => {
  const e = new VellumError(Code.InvalidArgument, "bad request\nsecond line", {
    fieldViolations: [
      { field: "store_id", description: "must match [A-Za-z0-9._-]{1,64}" },
      { field: "resource_type", description: "required" },
    ],
    requestId: "r-1",
  });
  const line = failureLine(e);
  assert.is(line, "vellum: INVALID_ARGUMENT: bad request second line [store_id: must match [A-Za-z0-9._-]{1,64}; resource_type: required] (request id r-1)");
  assert.is(failureReport(e, false), line);
  assert.match(failureReport(e, true), /^vellum: INVALID_ARGUMENT: [^\n]+\nVellumError: [\s\S]+\n\s+at /);
  const local = Object.assign(new Error("open '/x' failed"), { code: "ENOENT" });
  assert.is(failureLine(local), "vellum: ENOENT: open '/x' failed");
});

test("colour needs a terminal and no (non-empty) NO_COLOR", () => {
  assert.ok(colourAllowed({ isTTY: true }, {}));
  assert.ok(colourAllowed({ isTTY: true }, { NO_COLOR: "" }), "an empty NO_COLOR does not count (no-color.org)");
  assert.not.ok(colourAllowed({ isTTY: true }, { NO_COLOR: "1" }));
  assert.not.ok(colourAllowed({ isTTY: false }, {}));
  assert.not.ok(colourAllowed({}, {}));
});

test("settings: flags beat the environment, which beats the config file, per setting", () => {
  const file = { server: "http://file", store: "file-store", apiKey: "file-key" };
  const { settings, sources } = resolveSettings({ store: "flag-store" }, { VELLUM_SERVER: "http://env", VELLUM_API_KEY: "" }, file);
  assert.equal(settings, { server: "http://env", store: "flag-store", apiKey: "file-key" });
  assert.equal(sources, { server: "env", store: "flag", apiKey: "config" });
  assert.is(configPath({ XDG_CONFIG_HOME: "/x" }), "/x/vellum/config.json");
  assert.is(configPath({ HOME: "/home/u" }), "/home/u/.config/vellum/config.json");
});

test("the config file is written 0600 in a 0700 directory and read back; bad JSON is a clear error", () => {
  const dir = mkdtempSync(join(tmpdir(), "vellum-config-"));
  try {
    const path = join(dir, "vellum", "config.json");
    assert.equal(readConfigFile(path), {}, "no file, no settings");
    writeConfigFile(path, { server: "http://s", store: "st", apiKey: "vk_x" });
    assert.is(statSync(path).mode & 0o777, 0o600);
    assert.is(statSync(join(dir, "vellum")).mode & 0o777, 0o700);
    assert.equal(readConfigFile(path), { server: "http://s", store: "st", apiKey: "vk_x" });
    writeConfigFile(path, { server: "http://t" });
    assert.equal(readConfigFile(path), { server: "http://t", store: undefined, apiKey: undefined });
    writeFileSync(path, "{not json");
    assert.throws(() => readConfigFile(path), (e: unknown) => e instanceof CliError && /not valid JSON/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("flag value parsers accept their documented forms and reject others with a usage error", () => {
  assert.is(parseDuration("90s"), 90);
  assert.is(parseDuration("1h"), 3600);
  assert.is(parseDuration("7d"), 604800);
  assert.is(parseDuration("120"), 120);
  assert.throws(() => parseDuration("soon"), (e: unknown) => e instanceof CliError && e.exitCode === EXIT.USAGE);
  assert.equal(parseLabels(["env=prod", "a=b=c"]), { env: "prod", a: "b=c" });
  assert.throws(() => parseLabels(["=x"]), (e: unknown) => e instanceof CliError);
  assert.equal(parseResource("product/sku/1"), { type: "product", id: "sku/1" });
  assert.equal(parseResource("product"), { type: "product", id: "" });
  assert.is(parseTime("2025-01-31").toISOString(), "2025-01-31T00:00:00.000Z");
  assert.is(parseTime("1d", Date.UTC(2025, 0, 2)).toISOString(), "2025-01-01T00:00:00.000Z");
  assert.throws(() => parseTime("yesterday-ish"), (e: unknown) => e instanceof CliError);
});

test("the command restarts itself tuned, keeping its arguments and the caller's own settings, once", () => {
  const execve = () => undefined;
  const p = { execPath: "/n/node", execArgv: ["--enable-source-maps"], argv: ["/n/node", "/b/vellum", "push", "-"], env: { MALLOC_ARENA_MAX: "4", HOME: "/h", UNSET: undefined }, execve };
  const relaunch = tunedRelaunch(p);
  assert.equal(relaunch, ["/n/node", ["/n/node", "--enable-source-maps", TUNED_FLAG, "/b/vellum", "push", "-"], { MALLOC_ARENA_MAX: "4", HOME: "/h", MALLOC_MMAP_THRESHOLD_: TUNED_ENV.MALLOC_MMAP_THRESHOLD_ }]);
  assert.is(tunedRelaunch({ ...p, execArgv: relaunch![1].slice(1, 3) }), undefined, "the restarted process runs as it is");
  assert.is(tunedRelaunch({ ...p, execArgv: ["--max-semi-space-size=8"] }), undefined, "a caller's semi-space flag wins");
  assert.is(tunedRelaunch({ ...p, env: { NODE_OPTIONS: "--max-semi-space-size=8" } }), undefined, "also in NODE_OPTIONS");
  assert.is(tunedRelaunch({ ...p, execve: undefined }), undefined, "a Node without execve runs as it is");
});

test.run();
