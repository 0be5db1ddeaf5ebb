/** `keys create`, `keys ls` and `keys revoke`: API key administration (needs snapshot:admin). */
import { ApiKeySchema, listApiKeys, timestampFromDate, toJson, type ApiKey } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import { CliError } from "../exit-codes.js";
import { printList, take } from "../listing.js";
import { collect, parseDuration } from "../parse.js";
import { KEY_HEAD, keyRow } from "../render.js";

interface CreateOptions {
  name: string;
  scope: string[];
  forStore?: string[];
  allStores?: boolean;
  expires?: string;
}

export const keyCommands: CommandGroup = {
  register(program, withContext) {
    const keys = program.command("keys").description("API keys");
    keys
      .command("create")
      .description("create an API key; the key is printed once and never again")
      .requiredOption("--name <name>", "label for the key")
      .requiredOption("--scope <scope>", "snapshot:read, snapshot:write, snapshot:admin or snapshot:export (repeatable)", collect)
      .option("--for-store <id>", "a store the key may access (repeatable; default: the current store)", collect)
      .option("--all-stores", "every store, present and future")
      .option("--expires <duration>", "lifetime, e.g. 90d; never expires when omitted")
      .action(
        withContext(async (ctx, o: CreateOptions) => {
          if (o.allStores && o.forStore?.length) throw new CliError("give --for-store or --all-stores, not both");
          const res = await ctx.client().apiKeys.createApiKey({
            name: o.name,
            scopes: o.scope,
            storeIds: o.allStores ? [] : (o.forStore ?? [ctx.store()]),
            allStores: o.allStores ?? false,
            expireTime: o.expires ? timestampFromDate(new Date(Date.now() + parseDuration(o.expires, "--expires") * 1000)) : undefined,
          });
          if (ctx.out.json) ctx.out.printJson({ apiKey: toJson(ApiKeySchema, res.apiKey!), key: res.key });
          else {
            ctx.out.table(KEY_HEAD, [keyRow(res.apiKey!)]);
            ctx.out.print(`key (shown only now): ${ctx.out.style("bold", res.key)}`);
          }
        }),
      );
    keys
      .command("ls")
      .description("list API keys visible to you, newest first")
      .option("--revoked", "include revoked keys")
      .action(
        withContext(async (ctx, o: { revoked?: boolean }) => {
          const keys = await take(listApiKeys(ctx.client(), { showRevoked: o.revoked ?? false, pageSize: 1000 }), 0);
          printList(ctx, keys, (k: ApiKey) => toJson(ApiKeySchema, k), KEY_HEAD, keyRow);
        }),
      );
    keys
      .command("revoke")
      .description("revoke an API key permanently")
      .argument("<key_id>", "the key's id (the <id> of vk_<id>_<secret>)")
      .action(
        withContext(async (ctx, keyId: string) => {
          const { apiKey } = await ctx.client().apiKeys.revokeApiKey({ keyId });
          if (ctx.out.json) ctx.out.printJson(toJson(ApiKeySchema, apiKey!));
          else ctx.out.print(`revoked ${apiKey!.keyId}`);
        }),
      );
  },
};
