/**
 * `restore run|confirm|show|targets|register|unregister`, `rollback` and `approvals
 * ls|request|approve|reject`: restores into owning services (RestoreService).
 */
import {
  approveRestore,
  ApprovalState,
  confirmRestore,
  getRestore,
  JobState,
  listApprovals,
  listRestoreTargets,
  registerRestoreTarget,
  rejectRestore,
  requestRestoreApproval,
  RestoreApprovalSchema,
  RestoreMode,
  RestoreSchema,
  RestoreTargetProtocol,
  RestoreTargetSchema,
  restoreSnapshot,
  rollbackResource,
  toJson,
  waitForRestore,
  type Job,
  type RestoreApproval,
  type RestoreTarget,
} from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import type { CliContext } from "../context.js";
import { CliError, exitCodeForName } from "../exit-codes.js";
import { pageSizeFor, printList, take } from "../listing.js";
import { enumValue, parseCount, parseResource } from "../parse.js";
import { resolveSnapshotId, SNAPSHOT_REF_HELP } from "../refs.js";
import { APPROVAL_HEAD, approvalRow, restoreDetails, TARGET_HEAD, targetRow } from "../render-restore.js";

/** Prints the restore; with `wait`, follows it first, and fails (exit code of its error) when it did. */
async function show(ctx: CliContext, job: Job, wait: boolean): Promise<void> {
  const req = { storeId: ctx.store(), jobId: job.jobId };
  const r = wait ? await waitForRestore(ctx.client(), req) : await getRestore(ctx.client(), req);
  if (ctx.out.json) ctx.out.printJson(toJson(RestoreSchema, r));
  else ctx.out.details(restoreDetails(r));
  const state = r.job!.state;
  if (state === JobState.CANCELLED) throw new CliError(`restore ${job.jobId} was cancelled`, exitCodeForName("CANCELLED"));
  if (state === JobState.FAILED) {
    const e = r.job!.errors[r.job!.errors.length - 1];
    throw new CliError(`restore ${job.jobId} failed: ${e ? `${e.code}: ${e.message}` : "no error reported"}`, e ? exitCodeForName(e.code) : 1);
  }
}

const printApproval = (ctx: CliContext, a: RestoreApproval) =>
  ctx.out.json ? ctx.out.printJson(toJson(RestoreApprovalSchema, a)) : ctx.out.print(`${APPROVAL_HEAD.map((h, i) => `${h}: ${approvalRow(a)[i]}`).join("\n")}`);

interface RestoreFlags {
  target: string;
  resource?: string;
  mode: string;
  preserve?: boolean;
  key?: string;
  approval?: string;
  reason?: string;
  actor?: string;
  wait: boolean;
}

export const restoreCommands: CommandGroup = {
  register(program, withContext) {
    const restore = program.command("restore").description("restore snapshots into the services that own the data, and manage restore targets");
    restore
      .command("run")
      .description("restore a snapshot into a target service (waits until it ends or needs a confirmation or approval)")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .requiredOption("--target <service>", "the registered target service")
      .option("--resource <id>", "the target's resource to overwrite (default: the snapshot's resource)")
      .option("--mode <mode>", "dry-run, apply or apply-with-preview", "dry-run")
      .option("--preserve", "capture the current state as a snapshot first (so the restore can be rolled back)")
      .option("--key <key>", "idempotency key: a repeat returns the first restore")
      .option("--approval <id>", "an approval to use (critical targets)")
      .option("--reason <text>", "why (recorded on the approval request of a critical target)")
      .option("--actor <id>", "the person the restore acts for")
      .option("--no-wait", "print the job at once")
      .action(
        withContext(async (ctx, ref: string, o: RestoreFlags) => {
          const job = await restoreSnapshot(ctx.client(), {
            storeId: ctx.store(),
            snapshotId: await resolveSnapshotId(ctx, ref),
            targetService: o.target,
            targetResourceId: o.resource,
            restoreMode: enumValue(RestoreMode, "--mode", o.mode),
            preserveCurrentVersion: o.preserve === true,
            idempotencyKey: o.key,
            approvalId: o.approval,
            reason: o.reason,
            actorId: o.actor,
          });
          await show(ctx, job, o.wait);
        }),
      );
    restore
      .command("confirm")
      .description("apply a previewed restore (state awaiting_confirmation)")
      .argument("<job>", "the restore job id")
      .option("--no-wait", "print the job at once")
      .action(withContext(async (ctx, jobId: string, o: { wait: boolean }) => show(ctx, await confirmRestore(ctx.client(), { storeId: ctx.store(), jobId }), o.wait)));
    restore
      .command("show")
      .description("a restore's state, plan, applied digest and log")
      .argument("<job>", "the restore job id")
      .action(withContext(async (ctx, jobId: string) => show(ctx, { jobId } as Job, false)));
    restore
      .command("targets")
      .description("the store's restore targets")
      .option("--limit <n>", "at most this many (0 for all)", "50")
      .action(
        withContext(async (ctx, o: { limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          const items = await take(listRestoreTargets(ctx.client(), { storeId: ctx.store(), pageSize: pageSizeFor(limit) }), limit);
          printList(ctx, items, (t: RestoreTarget) => toJson(RestoreTargetSchema, t), TARGET_HEAD, targetRow);
        }),
      );
    restore
      .command("register")
      .description("register a target service's RestoreTargetService endpoint")
      .argument("<service>", "the target service's name")
      .requiredOption("--type <resource-type>", "the resource type it restores")
      .requiredOption("--endpoint <url>", "its base URL")
      .option("--protocol <protocol>", "grpc or connect", "grpc")
      .option("--timeout <ms>", "per-call timeout in ms (default 30000)", "0")
      .option("--critical", "restores that change it need an approval")
      .option("--auth-header <name>", "header carrying the secret (default authorization)")
      .option("--auth-secret-env <var>", "read the secret from this environment variable (never from the command line)")
      .action(
        withContext(async (ctx, service: string, o: { type: string; endpoint: string; protocol: string; timeout: string; critical?: boolean; authHeader?: string; authSecretEnv?: string }) => {
          const secret = o.authSecretEnv ? process.env[o.authSecretEnv] : "";
          if (o.authSecretEnv && !secret) throw new CliError(`environment variable ${o.authSecretEnv} is not set`);
          const t = await registerRestoreTarget(ctx.client(), {
            storeId: ctx.store(),
            targetService: service,
            resourceType: o.type,
            endpoint: o.endpoint,
            protocol: enumValue(RestoreTargetProtocol, "--protocol", o.protocol),
            timeoutMs: parseCount(o.timeout, "--timeout"),
            critical: o.critical === true,
            authHeaderName: o.authHeader,
            authSecret: secret,
          });
          printList(ctx, [t], (x: RestoreTarget) => toJson(RestoreTargetSchema, x), TARGET_HEAD, targetRow);
        }),
      );
    restore
      .command("unregister")
      .description("remove a target registration")
      .argument("<service>", "the target service's name")
      .action(
        withContext(async (ctx, service: string) => {
          await ctx.client().restore.deleteRestoreTarget({ storeId: ctx.store(), targetService: service });
          ctx.out.print(`unregistered ${service}`);
        }),
      );

    program
      .command("rollback")
      .description("restore a resource's earlier version (default: the one before the latest) into its target")
      .argument("<resource>", "<type>/<id>, or <type>/<id>@<version> for a given version")
      .option("--target <service>", "the target service (default: the only one restoring the type)")
      .option("--resource <id>", "the target's resource (default: the resource id)")
      .option("--preserve", "capture the current state first")
      .option("--key <key>", "idempotency key")
      .option("--approval <id>", "an approval to use (critical targets)")
      .option("--reason <text>", "why")
      .option("--no-wait", "print the job at once")
      .action(
        withContext(async (ctx, ref: string, o: Omit<RestoreFlags, "mode" | "target"> & { target?: string }) => {
          const [res, ver] = ref.split("@");
          const r = parseResource(res);
          if (!r.id) throw new CliError(`a rollback names <type>/<id>[@<version>], got ${JSON.stringify(ref)}`);
          const { job } = await rollbackResource(ctx.client(), {
            storeId: ctx.store(),
            resourceType: r.type,
            resourceId: r.id,
            toVersion: BigInt(ver === undefined ? 0 : parseCount(ver, "version")),
            targetService: o.target,
            targetResourceId: o.resource,
            preserveCurrentVersion: o.preserve === true,
            idempotencyKey: o.key,
            approvalId: o.approval,
            reason: o.reason,
          });
          await show(ctx, job!, o.wait);
        }),
      );

    const approvals = program.command("approvals").description("approvals of restores into critical targets");
    approvals
      .command("ls")
      .description("approvals, newest first")
      .option("--state <state>", "only pending, approved or rejected")
      .option("--limit <n>", "at most this many (0 for all)", "50")
      .action(
        withContext(async (ctx, o: { state?: string; limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          const state = o.state ? enumValue(ApprovalState, "--state", o.state) : undefined;
          const items = await take(listApprovals(ctx.client(), { storeId: ctx.store(), state, pageSize: pageSizeFor(limit) }), limit);
          printList(ctx, items, (a: RestoreApproval) => toJson(RestoreApprovalSchema, a), APPROVAL_HEAD, approvalRow);
        }),
      );
    approvals
      .command("request")
      .description("ask for approval to restore a snapshot into a critical target")
      .argument("<snapshot>", SNAPSHOT_REF_HELP)
      .requiredOption("--target <service>", "the critical target service")
      .requiredOption("--reason <text>", "why")
      .option("--initiator <id>", "who wants the restore (default: you)")
      .action(
        withContext(async (ctx, ref: string, o: { target: string; reason: string; initiator?: string }) => {
          const a = await requestRestoreApproval(ctx.client(), {
            storeId: ctx.store(),
            snapshotId: await resolveSnapshotId(ctx, ref),
            targetService: o.target,
            reason: o.reason,
            initiatorId: o.initiator,
          });
          printApproval(ctx, a);
        }),
      );
    approvals
      .command("approve")
      .description("approve (another administrator than the initiator); a waiting restore runs")
      .argument("<approval>", "approval id")
      .option("--comment <text>", "a comment")
      .action(withContext(async (ctx, id: string, o: { comment?: string }) => printApproval(ctx, await approveRestore(ctx.client(), { storeId: ctx.store(), approvalId: id, comment: o.comment }))));
    approvals
      .command("reject")
      .description("reject with a comment; a waiting restore is cancelled")
      .argument("<approval>", "approval id")
      .requiredOption("--comment <text>", "why")
      .action(withContext(async (ctx, id: string, o: { comment: string }) => printApproval(ctx, await rejectRestore(ctx.client(), { storeId: ctx.store(), approvalId: id, comment: o.comment }))));
  },
};
