import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError } from "../errors.js";
import { MAX_RETRY_DELAY_MS, retryDelayMs } from "./backoff.js";
import { generateSecret, secretOrGenerate } from "./secret.js";

test("retry delays double per attempt within [half, full], capped; the default schedule spans about a day", () => {
  for (let n = 1; n <= 6; n++) {
    const full = 100 * 2 ** (n - 1);
    assert.is(retryDelayMs(n, 100, () => 0), full / 2);
    assert.is(retryDelayMs(n, 100, () => 0.999999), Math.round(full / 2 + (0.999999 * full) / 2));
  }
  assert.is(retryDelayMs(40, 5000, () => 1), MAX_RETRY_DELAY_MS);
  const total = Array.from({ length: 14 }, (_, i) => retryDelayMs(i + 1, 5000, () => 0.5)).reduce((a, b) => a + b, 0);
  assert.ok(total > 12 * 3600_000 && total < 36 * 3600_000, `${total / 3600_000} h`);
});

test("secrets: generated ones are whsec_ + 32 bytes; a caller's must be whsec_ base64 of 24-64 bytes, never echoed", () => {
  const s = generateSecret();
  assert.is(Buffer.from(s.slice(6), "base64").length, 32);
  assert.is(secretOrGenerate("", "secret").length, s.length);
  const ok = "whsec_" + Buffer.alloc(24, 1).toString("base64");
  assert.is(secretOrGenerate(ok, "secret"), ok);
  for (const bad of ["whsec_" + Buffer.alloc(16, 1).toString("base64"), "whsec_" + Buffer.alloc(65, 1).toString("base64"), "sk_live_abcdefabcdefabcdefabcdefabcdef", "whsec_not base64!!"]) {
    try {
      secretOrGenerate(bad, "secret");
      assert.unreachable(bad);
    } catch (e) {
      assert.ok(isDomainError(e, "InvalidArgument"), bad);
      assert.not.ok((e as Error).message.includes(bad.slice(6)), "the value is not echoed");
    }
  }
});

test.run();
