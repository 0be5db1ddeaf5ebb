import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_KEY_PATTERNS, keyMatcher } from "./sensitive-keys.js";
import { applySpans } from "./spans.js";
import { findKeyedSpans } from "./text-pairs.js";

const isSecret = keyMatcher(DEFAULT_KEY_PATTERNS);
const keyed = (s: string) => applySpans(s, findKeyedSpans(s, isSecret)).text;
const lines = (...l: string[]) => l.join("\n");

test(".env: plain, quoted, escaped quotes, export, spaces, commented out; other lines stay", () => {
  assert.is(
    keyed(
      lines(
        "SHOP_NAME=Maison Élan",
        "DB_PASSWORD=s3cr3t! with spaces",
        'export API_TOKEN="hun\\"ter2"',
        "CLIENT_SECRET='single quoted'",
        "REFRESH_TOKEN = spaced",
        "# OLD_PASSWORD=commented",
        "declare -x SESSION_KEY=bash",
        "GREETING='bonjour'",
      ),
    ),
    lines(
      "SHOP_NAME=Maison Élan",
      "DB_PASSWORD=[REDACTED]",
      'export API_TOKEN="[REDACTED]"',
      "CLIENT_SECRET='[REDACTED]'",
      "REFRESH_TOKEN = [REDACTED]",
      "# OLD_PASSWORD=[REDACTED]",
      "declare -x SESSION_KEY=[REDACTED]",
      "GREETING='bonjour'",
    ),
  );
});

test(".env: a multi-line double-quoted value is masked on every line; line count kept", () => {
  const src = lines('PRIVATE_KEY="-----BEGIN PRIVATE KEY-----', "MIIEvQIBADANBgkq", '-----END PRIVATE KEY-----"', "NEXT=1");
  assert.is(keyed(src), lines('PRIVATE_KEY="[REDACTED]', "[REDACTED]", '[REDACTED]"', "NEXT=1"));
  // No closing quote: masked to the end, never shown.
  assert.is(keyed(lines('TOKEN="abc', "def", "NAME=x")), lines('TOKEN="[REDACTED]', "[REDACTED]", "[REDACTED]"));
});

test("YAML: nested mappings, lists and block scalars under a sensitive key keep their names", () => {
  const src = lines(
    "credentials:",
    "  username: svc",
    "  value: realsecret1",
    "region: eu-west-1",
    "tokens:",
    "- rt_first",
    "- rt_second",
    "private_key: |",
    "  line-one",
    "  line-two",
    "",
    "name: ok",
  );
  assert.is(
    keyed(src),
    lines(
      "credentials:",
      "  username: [REDACTED]",
      "  value: [REDACTED]",
      "region: eu-west-1",
      "tokens:",
      "- [REDACTED]",
      "- [REDACTED]",
      "private_key: |",
      "  [REDACTED]",
      "  [REDACTED]",
      "",
      "name: ok",
    ),
  );
});

test("under a sensitive key, names that are data are masked with their values; field names stay", () => {
  assert.is(keyed(lines("sessions:", "  3f9a1c77b2e0: alice", "  note: x", "name: ok")), lines("sessions:", "  [REDACTED]", "  note: [REDACTED]", "name: ok"));
  assert.is(keyed('{"tokens": {"rt_88d2e1a4": "a", "primary": "b"}, "n": 1'), '{"tokens": {"[REDACTED]": "[REDACTED]", "primary": "[REDACTED]"}, "n": 1');
});

test("JSON-like text that does not parse: escaped quotes, arrays and objects masked token by token", () => {
  const src = '{"refresh_tokens":["rt_first","rt_second_5e6f7a"],"credentials":{"username":"svc","value":"realsecret1"},"password":"hun\\"ter2","pin": 1234, "ok": true';
  assert.is(
    keyed(src),
    '{"refresh_tokens":["[REDACTED]","[REDACTED]"],"credentials":{"username":"[REDACTED]","value":"[REDACTED]"},"password":"[REDACTED]","pin": [REDACTED], "ok": true',
  );
  // A pretty-printed, cut document: the open array is masked to the end.
  assert.is(keyed(lines("{", '  "tokens": [', '    "a1",', '    "b2', "")), lines("{", '  "tokens": [', '    "[REDACTED]",', '    "[REDACTED]', "[REDACTED]"));
  // Unicode-escaped and backslash-escaped names.
  assert.is(keyed('"\\u0070assword": "x1y2", \\"api_key\\": \\"k-9\\"'), '"\\u0070assword": "[REDACTED]", \\"api_key\\": \\"[REDACTED]\\"');
  assert.is(keyed('  "password": null,\n  "token": ""'), '  "password": null,\n  "token": ""');
});

test("pairs inside a line: query strings, log fields, auth schemes, tags; prose stays", () => {
  assert.is(keyed("url=https://x.test/cb?token=abc&lang=fr"), "url=https://x.test/cb?token=[REDACTED]&lang=fr");
  assert.is(keyed("level=info user=bob password=hunter2 status=ok"), "level=info user=bob password=[REDACTED] status=ok");
  assert.is(keyed("sent Authorization: Bearer xyz to the api"), "sent Authorization: [REDACTED] to the api");
  assert.is(keyed("Authorization: Basic dTpw"), "Authorization: [REDACTED]");
  assert.is(keyed("<user><password>s3cret</password><name>x</name></user>"), "<user><password>[REDACTED]</password><name>x</name></user>");
  assert.is(keyed("--db-password=abc --port=5432"), "--db-password=[REDACTED] --port=5432");
  assert.is(keyed("$db = ['user' => 'app', 'password' => 'x'];"), "$db = ['user' => 'app', 'password' => '[REDACTED]'];");
  const prose = "The author: Jane, spin: 3, passenger: Bob, keyboard=fr. if password == other: return";
  assert.is(keyed(prose), prose);
});

test.run();
