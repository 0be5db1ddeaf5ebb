/**
 * fast-check arbitraries that plant generated secrets in documents: JSON at random depths (under
 * sensitive keys in every shape, and recognisable values anywhere), .env / YAML / log text, and
 * tar member names. Each planted secret is reported as its random cores: strings of at least
 * CORE_MIN characters that must never appear, even in part, in any preview output. Cores hold no
 * character that JSON escapes, so a leak shows in JSON.stringify(output) as it was planted.
 */
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { composeIBAN, friendlyFormatIBAN, isValidIBAN } from "ibantools";

/** Cores are at least this long; a leak is any window of WINDOW characters of a core. */
export const CORE_MIN = 10;
export const WINDOW = 8;

export interface Planted {
  /** The text as planted (a value, a line, a name). */
  text: string;
  /** Random parts that must not appear in any output. */
  cores: string[];
}

export interface PlantedDoc<T> {
  doc: T;
  cores: string[];
  /** A value under a non-sensitive key that must stay visible. */
  canary: string;
}

const core = fc.stringMatching(new RegExp(`^[A-Za-z0-9]{${CORE_MIN},18}$`));
const b64url = (n: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${n}}$`));
const alnum = (n: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9]{${n}}$`));
const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));

/** Non-sensitive member names and words for filler. */
export const PLAIN_KEYS = ["id", "sku", "title", "name", "price", "tags", "items", "meta", "colour", "size", "notes", "variants", "region", "count", "enabled", "vendor", "handle", "children", "username", "value", "description"];
const WORDS = ["chair", "linen", "teal", "oak", "large", "summer", "eu-west-1", "café", "限定", "v2"];

/** Sensitive names, in the spellings JSON, .env and YAML use. */
export const SENSITIVE_KEYS = [
  "password", "Password", "db_password", "passwd", "pwd", "client_secret", "clientSecret", "secret", "token", "access_token",
  "refreshToken", "refresh_tokens", "api_key", "apiKey", "API-KEY", "x-api-key", "apikey", "access_key", "AccessKeyId",
  "private_key", "privateKey", "credentials", "auth", "Authorization", "cookie", "Set-Cookie", "session", "sessionId",
  "SESSION_TOKEN", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "STRIPE_API_KEY", "pin", "otp",
];

const plant = (text: string, cores: string[]): Planted => ({ text, cores });

function luhnComplete(body: string): string {
  for (let d = 0; d <= 9; d++) {
    const n = body + d;
    let sum = 0;
    for (let i = 0; i < n.length; i++) {
      let x = n.charCodeAt(n.length - 1 - i) - 48;
      if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
    }
    if (sum % 10 === 0) return n;
  }
  throw new Error("unreachable");
}

const card = fc.tuple(fc.constantFrom("4", "51", "55", "37"), digits(14), fc.constantFrom("", " ", "-")).map(([p, d, sep]) => {
  const n = luhnComplete((p + d).slice(0, 15));
  const shown = sep === "" ? n : n.match(/.{1,4}/g)!.join(sep);
  return plant(shown, [shown]);
});
const iban = fc
  .tuple(fc.constantFrom(["DE", 18, ""], ["GB", 14, "WEST"], ["NL", 10, "ABNA"]) as fc.Arbitrary<[string, number, string]>, digits(18), fc.boolean())
  .map(([[cc, n, bank], d, print]) => {
    const electronic = composeIBAN({ countryCode: cc, bban: bank + d.slice(0, n) }) ?? "";
    const shown = print ? (friendlyFormatIBAN(electronic) ?? electronic) : electronic;
    return plant(shown, [shown.slice(4).trim()]);
  })
  .filter((p) => isValidIBAN(p.text.replace(/ /g, "")));
const email = fc.tuple(core, alnum(10), fc.constantFrom("com", "de", "co.uk", "shop")).map(([l, d, tld]) => plant(`${l}@${d.toLowerCase()}.${tld}`, [l, d.toLowerCase()]));
const phone = fc.oneof(
  fc.tuple(fc.constantFrom("44", "33", "49", "1"), digits(3), digits(3), digits(4)).map(([cc, a, b, c]) => plant(`+${cc} ${a} ${b} ${c}`, [`${a} ${b} ${c}`])),
  fc.tuple(digits(3), digits(3), digits(4)).map(([a, b, c]) => plant(`(${a}) ${b}-${c}`, [`${a}) ${b}-${c}`])),
);
const userinfoUrl = fc
  .tuple(fc.constantFrom("postgres", "mysql", "https", "redis", "amqp", "mongodb+srv", "sftp"), core, core, fc.constantFrom("db", "db.internal.example.com", "10.0.0.5"), fc.constantFrom("", ":5432"), fc.constantFrom("", "/x", "/db?sslmode=require"), fc.boolean())
  .map(([scheme, user, pw, host, port, path, withUser]) =>
    withUser ? plant(`${scheme}://${user}:${pw}@${host}${port}${path}`, [user, pw]) : plant(`${scheme}://${pw}@${host}${port}${path}`, [pw]),
  );
const bearer = fc.tuple(core, core, fc.constantFrom("Bearer ", "bearer ", "Authorization: Bearer ", "token ")).map(([a, b, pre]) => plant(`${pre}${a}.${b}`, [a, b]));
const basic = fc.tuple(core, core).map(([u, p]) => {
  const b64 = Buffer.from(`${u}:${p}`).toString("base64");
  return plant(`Basic ${b64}`, [b64]);
});
const pem = fc
  .tuple(fc.constantFrom("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"), fc.array(fc.stringMatching(/^[A-Za-z0-9+/]{64}$/), { minLength: 1, maxLength: 4 }))
  .map(([label, body]) => plant(`-----BEGIN ${label}-----\n${body.join("\n")}\n-----END ${label}-----`, body));
const jwt = fc.tuple(core, b64url(43)).map(([sub, sig]) => {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const payload = part({ sub, iat: 1_700_000_000 });
  return plant(`${part({ alg: "HS256", typ: "JWT" })}.${payload}.${sig}`, [payload, sig]);
});
const apiKey = fc.oneof(
  alnum(16).map((s) => s.toUpperCase()).map((s) => plant(`AKIA${s}`, [s])),
  b64url(35).map((s) => plant(`AIza${s}`, [s])),
  alnum(36).map((s) => plant(`ghp_${s}`, [s])),
  b64url(24).map((s) => plant(`glpat-${s}`, [s])),
  fc.tuple(digits(11), alnum(24)).map(([d, s]) => plant(`xoxb-${d}-${s}`, [s])),
  alnum(24).map((s) => plant(`sk_live_${s}`, [s])),
  b64url(40).map((s) => plant(`sk-proj-${s}`, [s])),
  alnum(36).map((s) => plant(`npm_${s}`, [s])),
);

/** A value recognisable by its shape alone. */
export const shapeSecret: fc.Arbitrary<Planted> = fc.oneof(userinfoUrl, bearer, basic, pem, jwt, apiKey, card, iban, email, phone);

/** A secret under a sensitive key: strings with escaped quotes, backslashes, line breaks; numbers. */
const keyedScalar: fc.Arbitrary<{ value: unknown; cores: string[] }> = fc.oneof(
  core.map((c) => ({ value: c, cores: [c] })),
  fc.tuple(core, core, fc.constantFrom('"', "\\", "\n", '\\"', "\r\n", " ")).map(([a, b, sep]) => ({ value: `${a}${sep}${b}`, cores: [a, b] })),
  digits(12).map((d) => ({ value: Number(`9${d}`), cores: [`9${d}`] })),
);
const keyedValue: fc.Arbitrary<{ value: unknown; cores: string[] }> = fc.letrec<{ v: { value: unknown; cores: string[] } }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    keyedScalar,
    fc.array(tie("v"), { minLength: 1, maxLength: 3 }).map((xs) => ({ value: xs.map((x) => x.value), cores: xs.flatMap((x) => x.cores) })),
    // Objects keyed by field names, or by data (a token or session id used as a key).
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PLAIN_KEYS).map((k) => ({ k, cores: [] as string[] })), core.map((c) => ({ k: `${c}7`, cores: [c] }))), tie("v")), { minLength: 1, maxLength: 3 }).map((kvs) => {
      const o: Record<string, unknown> = {};
      const cores: string[] = [];
      for (const [name, x] of kvs) if (!(name.k in o)) (o[name.k] = x.value), cores.push(...name.cores, ...x.cores);
      return { value: o, cores };
    }),
  ),
})).v;

/** A JSON value holding one secret: under a sensitive key, or by shape as a value, in prose, in .env text. */
const jsonPlant: fc.Arbitrary<{ value: unknown; cores: string[] }> = fc.oneof(
  fc.tuple(fc.constantFrom(...SENSITIVE_KEYS), keyedValue).map(([k, x]) => ({ value: { [k]: x.value }, cores: x.cores })),
  shapeSecret.map((p) => ({ value: p.text, cores: p.cores })),
  fc.tuple(shapeSecret, fc.constantFrom(...PLAIN_KEYS)).map(([p, k]) => ({ value: { [k]: `see ${p.text} for details` }, cores: p.cores })),
  card.map((p) => ({ value: Number(p.text.replace(/\D/g, "")), cores: [p.text.replace(/\D/g, "")] })),
  fc.tuple(fc.constantFrom("DB_PASSWORD", "API_TOKEN", "client_secret"), core).map(([k, c]) => ({ value: { notes: `HOST=db\n${k}=${c}\nREGION=eu` }, cores: [c] })),
);

const leaf = fc.oneof(fc.constantFrom(...WORDS), fc.integer({ min: -1000, max: 100_000 }), fc.boolean(), fc.constant(null));
const filler = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...PLAIN_KEYS), tie("v"), { maxKeys: 3 })),
})).v;

/** Wraps a value in `levels` arrays and objects with filler siblings. */
const wrapper = fc.tuple(fc.boolean(), fc.constantFrom(...PLAIN_KEYS), fc.array(filler, { maxLength: 2 }), fc.nat(3));
function wrap(value: unknown, levels: [boolean, string, unknown[], number][]): unknown {
  let v = value;
  for (const [asArray, key, siblings, at] of levels) {
    if (asArray) {
      const arr = [...siblings];
      arr.splice(at % (arr.length + 1), 0, v);
      v = arr;
    } else {
      const o: Record<string, unknown> = {};
      siblings.forEach((s, i) => (o[`${PLAIN_KEYS[(i + 3) % PLAIN_KEYS.length]}`] = s));
      o[key] = v;
      v = o;
    }
  }
  return v;
}

/** A JSON document with 1–5 secrets planted at random depths, and a canary that must stay visible. */
export const plantedJson: fc.Arbitrary<PlantedDoc<Record<string, unknown>>> = fc
  .tuple(fc.array(fc.tuple(jsonPlant, fc.array(wrapper, { maxLength: 5 })), { minLength: 1, maxLength: 5 }), filler, fc.nat(999))
  .map(([plants, extra, n]) => {
    const doc: Record<string, unknown> = { title: "visible", extra };
    const cores: string[] = [];
    plants.forEach(([p, levels], i) => {
      doc[`item_${i}`] = wrap(p.value, levels);
      cores.push(...p.cores);
    });
    const canary = `canary-${n}`;
    doc.colour = canary;
    return { doc, cores, canary };
  });

/** Serialises JSON, escaping a random share of string characters as \uXXXX (and "/" as "\/"). */
export function serializeJson(v: unknown, opts: { indent: number; escapeEvery: number }): string {
  let n = 0;
  const str = (s: string) => {
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const ch = s[i];
      const code = s.charCodeAt(i);
      if (ch === '"' || ch === "\\" || code < 0x20) out += JSON.stringify(ch).slice(1, -1);
      else if (opts.escapeEvery > 0 && ++n % opts.escapeEvery === 0) out += ch === "/" ? "\\/" : `\\u${code.toString(16).padStart(4, "0")}`;
      else out += ch;
    }
    return `${out}"`;
  };
  const pad = (d: number) => (opts.indent > 0 ? `\n${" ".repeat(opts.indent * d)}` : "");
  const walk = (x: unknown, d: number): string => {
    if (typeof x === "string") return str(x);
    if (x === null || typeof x !== "object") return JSON.stringify(x);
    const sep = opts.indent > 0 ? ": " : ":";
    const parts = Array.isArray(x) ? x.map((e) => walk(e, d + 1)) : Object.entries(x).map(([k, e]) => `${str(k)}${sep}${walk(e, d + 1)}`);
    const [open, close] = Array.isArray(x) ? ["[", "]"] : ["{", "}"];
    return parts.length === 0 ? open + close : `${open}${parts.map((p) => pad(d + 1) + p).join(",")}${pad(d)}${close}`;
  };
  return walk(v, 0);
}

const envKey = fc.constantFrom("DB_PASSWORD", "API_TOKEN", "AWS_SECRET_ACCESS_KEY", "CLIENT_SECRET", "SESSION_COOKIE", "STRIPE_API_KEY", "auth", "private_key", "x-api-key", "refresh_tokens");
/** Fills the {X} placeholders of a form. */
const fill = (form: string, values: Record<string, string>) => form.replace(/\{([A-Z])\}/g, (_, k: string) => values[k]);
/** One .env / YAML / log fragment (one or more lines) holding secrets. */
const textPlant: fc.Arbitrary<Planted> = fc.oneof(
  fc.tuple(envKey, core, fc.constantFrom("{K}={V}", "export {K}={V}", '{K}="{V}"', "{K}='{V}'", "{K} = {V}", "# {K}={V}", "{K}: {V}", '"{K}": "{V}",', "  {K}: {V}", "{K}={V} # set by ops")).map(([k, c, form]) =>
    plant(fill(form, { K: k, V: c }), [c]),
  ),
  fc.tuple(envKey, core, core, fc.constantFrom('{K}="{A}\\"{B}"', '{K}="{A}\n{B}"', "{K}='{A}\n{B}'", 'export {K}="{A}\\\\{B}"')).map(([k, a, b, form]) => plant(fill(form, { K: k, A: a, B: b }), [a, b])),
  fc.tuple(envKey, core, core, fc.constantFrom("{K}:\n  user: {A}\n  value: {B}", "{K}:\n- {A}\n- {B}", "{K}: |\n  {A}\n  {B}", "{K}: >-\n    {A}\n    {B}", "{K}: [{A}, {B}]", '{K}: {"u": "{A}", "p": "{B}"}')).map(([k, a, b, form]) =>
    plant(fill(form, { K: k, A: a, B: b }), [a, b]),
  ),
  fc.tuple(shapeSecret, fc.constantFrom("{S}", "note: {S}", "curl -H 'Authorization: {S}' https://api", "url={S}", "level=info msg=\"connect {S}\"")).map(([p, form]) => plant(fill(form, { S: p.text }), p.cores)),
  fc.tuple(envKey, core).map(([k, c]) => plant(`{"event":"login","${k}":"${c}"}`, [c])),
);
const fillerLine = fc.constantFrom("NAME=Maison Élan", "# comment", "region: eu-west-1", "plain words here", "PORT=8080", "", "title: Chair");

/** A text file (.env, YAML, logs) with 1–6 planted fragments among filler lines, and a canary line. */
export const plantedText: fc.Arbitrary<PlantedDoc<string>> = fc
  .tuple(fc.array(fc.tuple(textPlant, fc.array(fillerLine, { maxLength: 2 })), { minLength: 1, maxLength: 6 }), fc.nat(999))
  .map(([parts, n]) => {
    const canary = `canary-${n}`;
    const lines = [`COLOUR=${canary}`];
    const cores: string[] = [];
    for (const [p, fill] of parts) {
      lines.push(p.text, ...fill);
      cores.push(...p.cores);
    }
    return { doc: `${lines.join("\n")}\n`, cores, canary };
  });

/** Tar member names (and symlink targets) holding secrets. */
export const plantedTarNames: fc.Arbitrary<{ names: string[]; links: string[]; cores: string[] }> = fc
  .array(fc.tuple(fc.oneof(userinfoUrl, email, apiKey, card, fc.tuple(envKey, core).map(([k, c]) => plant(`${k}=${c}`, [c]))), fc.boolean()), { minLength: 1, maxLength: 4 })
  .map((ps) => ({
    names: ps.filter(([, link]) => !link).map(([p], i) => `backup/${i}/${p.text}.sql`),
    links: ps.filter(([, link]) => link).map(([p]) => `targets/${p.text}`),
    cores: ps.flatMap(([p]) => p.cores),
  }));

/** The first window of a core that occurs in `output`, or undefined. */
export function leakedWindow(output: string, cores: readonly string[]): string | undefined {
  for (const c of cores) {
    for (let i = 0; i + WINDOW <= c.length; i++) {
      const w = c.slice(i, i + WINDOW);
      if (output.includes(w)) return `${w} (of ${c})`;
    }
  }
  return undefined;
}
