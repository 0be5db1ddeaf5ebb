import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs } from "@bufbuild/protobuf/wkt";
import {
  PolicyRunSchema,
  PolicyRunState as PbRunState,
  PolicySchema,
  PolicyTrigger as PbTrigger,
  type Policy as PbPolicy,
  type PolicyRun as PbPolicyRun,
} from "../../../gen/vellum/v1/policy_pb.js";
import { ChangeEvent } from "../../../gen/vellum/v1/policy_service_pb.js";
import type { PolicySpecInput } from "../domain/policies/policy-spec.js";
import { nextRunTime } from "../domain/policies/policy-use-cases.js";
import { policyEtag, type Policy, type PolicyRun, type PolicyTrigger } from "../domain/policies/types.js";
import { ts } from "./convert.js";

const TRIGGERS: Record<PolicyTrigger, PbTrigger> = {
  CRON: PbTrigger.CRON,
  ON_CHANGE: PbTrigger.ON_CHANGE,
  ON_PUBLISH: PbTrigger.ON_PUBLISH,
  MANUAL: PbTrigger.MANUAL,
};

export const triggerFromPb = (t: PbTrigger): PolicyTrigger | undefined => (Object.keys(TRIGGERS) as PolicyTrigger[]).find((k) => TRIGGERS[k] === t);

export const changeEventFromPb = (e: ChangeEvent): "ON_CHANGE" | "ON_PUBLISH" | undefined =>
  e === ChangeEvent.ON_CHANGE ? "ON_CHANGE" : e === ChangeEvent.ON_PUBLISH ? "ON_PUBLISH" : undefined;

/** A policy from the wire; an unset debounce is the default, an unset `enabled` true. */
export function policyFromPb(p: PbPolicy | undefined): PolicySpecInput {
  return {
    name: p?.name ?? "",
    resourceType: p?.resourceType ?? "",
    trigger: p ? triggerFromPb(p.trigger) : undefined,
    cronExpression: p?.cronExpression ?? "",
    timeZone: p?.timeZone ?? "",
    debounceMs: p?.debounce ? Math.round(durationMs(p.debounce)) : undefined,
    retentionDays: p?.retentionDays ?? 0,
    keepLatestN: p?.keepLatestN ?? 0,
    tagsToInclude: p?.tagsToInclude ?? [],
    scope: { channels: p?.scope?.channels ?? [], locales: p?.scope?.locales ?? [], productTypes: p?.scope?.productTypes ?? [] },
    enabled: p?.enabled,
    captureTargetUrl: p?.captureTargetUrl ?? "",
    resourceIds: p?.resourceIds ?? [],
  };
}

export function policyToPb(p: Policy, now = new Date()): PbPolicy {
  return create(PolicySchema, {
    policyId: p.id,
    storeId: p.storeId,
    name: p.name,
    resourceType: p.resourceType,
    trigger: TRIGGERS[p.trigger],
    cronExpression: p.cronExpression,
    timeZone: p.timeZone,
    debounce: durationFromMs(p.debounceMs),
    retentionDays: p.retentionDays,
    keepLatestN: p.keepLatestN,
    tagsToInclude: p.tagsToInclude,
    scope: { channels: p.scope.channels, locales: p.scope.locales, productTypes: p.scope.productTypes },
    enabled: p.enabled,
    captureTargetUrl: p.captureTargetUrl,
    resourceIds: p.resourceIds,
    version: BigInt(p.version),
    etag: policyEtag(p),
    createdBy: p.createdBy,
    createTime: ts(p.createTime),
    updateTime: ts(p.updateTime),
    nextRunTime: ts(nextRunTime(p, now)),
  });
}

export function runToPb(r: PolicyRun): PbPolicyRun {
  return create(PolicyRunSchema, {
    runId: r.id,
    policyId: r.policyId,
    policyVersion: BigInt(r.policyVersion),
    trigger: TRIGGERS[r.trigger],
    state: PbRunState[r.state],
    scheduledTime: ts(r.scheduledTime),
    resourceIds: r.resourceIds,
    snapshotIds: r.snapshotIds,
    unchangedResourceIds: r.unchangedResourceIds,
    errors: r.errors,
    jobId: r.jobId ?? "",
    createTime: ts(r.createTime),
    endTime: ts(r.endTime),
  });
}
