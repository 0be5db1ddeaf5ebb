/**
 * Every command group of `vellum`, in help order. A new capability adds its commands as one module
 * in this folder (see command.ts) and one entry here.
 */
import type { CommandGroup } from "../command.js";
import { adminCommands } from "./admin.js";
import { annotateCommands } from "./annotate.js";
import { archiveCommands } from "./archives.js";
import { compareCommands } from "./compare.js";
import { composeCommands } from "./compose.js";
import { integrityCommands } from "./integrity.js";
import { eventCommands } from "./events.js";
import { jobCommands } from "./jobs.js";
import { keyCommands } from "./keys.js";
import { lifecycleCommands } from "./lifecycle.js";
import { lineageCommands } from "./lineage.js";
import { loginCommands } from "./login.js";
import { restoreCommands } from "./restore.js";
import { policyCommands } from "./policies.js";
import { retentionCommands } from "./retention.js";
import { searchCommands } from "./search.js";
import { shareCommands } from "./share.js";
import { snapshotCommands } from "./snapshots.js";
import { tagCommands } from "./tags.js";
import { transferCommands } from "./transfer.js";
import { webhookCommands } from "./webhooks.js";

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  transferCommands,
  snapshotCommands,
  compareCommands,
  composeCommands,
  archiveCommands,
  shareCommands,
  adminCommands,
  lifecycleCommands,
  retentionCommands,
  policyCommands,
  tagCommands,
  annotateCommands,
  searchCommands,
  lineageCommands,
  webhookCommands,
  eventCommands,
  restoreCommands,
  integrityCommands,
  jobCommands,
  keyCommands,
  loginCommands,
];
