import { parseApiKey } from "./domain/auth/api-key.js";
import { createJwtVerifier, type JwtConfig } from "./domain/auth/jwt-verifier.js";
import type { BucketConfig, RateClass } from "./domain/ratelimit/rate-limiter.js";

/**
 * Authentication, share-link and rate-limit settings (read by config.ts from the environment it
 * is given; this module never touches process.env).
 */
export interface SecurityConfig {
  /**
   * `none` (default): development mode. Requests without credentials act as a local admin with every
   * scope on every store; the server refuses to bind anything but loopback and logs a warning at
   * start-up. Credentials that are sent are still verified. `required`: every non-public RPC needs an
   * API key or a JWT.
   */
  auth: "none" | "required";
  /** VELLUM_ADMIN_KEY: a `vk_<id>_<secret>` key ensured at start-up with every scope on every store. */
  adminKey?: string;
  /** JWT verification; undefined when no VELLUM_JWT_* variable is set (JWTs are then refused). */
  jwt?: JwtConfig;
  /** VELLUM_SHARE_SECRET (>= 32 bytes); undefined in development mode means `<dataDir>/share.key`. */
  shareSecret?: Uint8Array;
  /** VELLUM_PUBLIC_URL: origin used in signed URLs; default: the origin each request was sent to. */
  publicUrl?: string;
  /** Token buckets per principal and store (VELLUM_RATE_{READ,WRITE}_{PER_SEC,BURST}). */
  rateLimits: Record<RateClass, BucketConfig>;
}

type Env = Record<string, string | undefined>;

const LOOPBACK_RE = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/;

/** True for hosts that only accept local connections. */
export const isLoopbackHost = (host: string): boolean => LOOPBACK_RE.test(host);

const list = (v: string | undefined) => (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);

/**
 * Parses the security settings. `fail` throws the caller's configuration error; messages name the
 * variable, never its value.
 */
export function parseSecurityConfig(
  env: Env,
  ctx: { host: string; int: (name: string, def: number, min: number, max: number) => number },
  fail: (message: string) => never,
): SecurityConfig {
  const auth = (env.VELLUM_AUTH || "none") as SecurityConfig["auth"];
  if (auth !== "none" && auth !== "required") fail("VELLUM_AUTH must be none or required");
  if (auth === "none" && !isLoopbackHost(ctx.host)) {
    fail("VELLUM_HOST must be a loopback address (127.0.0.1, ::1, localhost) while VELLUM_AUTH=none; set VELLUM_AUTH=required to listen on other interfaces");
  }

  const adminKey = env.VELLUM_ADMIN_KEY || undefined;
  if (adminKey !== undefined && !parseApiKey(adminKey)) {
    fail("VELLUM_ADMIN_KEY must look like vk_<8-64 letters or digits>_<43 base64url characters (32 random bytes)>");
  }

  const jwtVars = ["VELLUM_JWT_JWKS_URL", "VELLUM_JWT_PUBLIC_KEY", "VELLUM_JWT_ISSUER", "VELLUM_JWT_AUDIENCE", "VELLUM_JWT_ALGORITHMS"];
  let jwt: JwtConfig | undefined;
  if (jwtVars.some((v) => env[v])) {
    const url = env.VELLUM_JWT_JWKS_URL || undefined;
    const pem = env.VELLUM_JWT_PUBLIC_KEY || undefined;
    if ((url === undefined) === (pem === undefined)) fail("set exactly one of VELLUM_JWT_JWKS_URL and VELLUM_JWT_PUBLIC_KEY");
    const issuer = list(env.VELLUM_JWT_ISSUER);
    const audience = list(env.VELLUM_JWT_AUDIENCE);
    const algorithms = list(env.VELLUM_JWT_ALGORITHMS);
    if (issuer.length === 0) fail("VELLUM_JWT_ISSUER is required with JWT authentication");
    if (audience.length === 0) fail("VELLUM_JWT_AUDIENCE is required with JWT authentication");
    if (algorithms.length === 0) fail("VELLUM_JWT_ALGORITHMS is required with JWT authentication (e.g. RS256,ES256)");
    jwt = {
      issuer,
      audience,
      algorithms,
      key: url ? { kind: "jwks_url", url } : { kind: "pem", pem: pem!.replace(/\\n/g, "\n") },
    };
    try {
      // Validates algorithms, key type and URL now, so a bad setting stops start-up (no I/O happens).
      createJwtVerifier(jwt);
    } catch (e) {
      fail(`VELLUM_JWT_*: ${e instanceof TypeError ? e.message : "invalid JWT settings"}`);
    }
  }

  let shareSecret: Uint8Array | undefined;
  if (env.VELLUM_SHARE_SECRET) {
    shareSecret = Buffer.from(env.VELLUM_SHARE_SECRET, "utf8");
    if (shareSecret.length < 32) fail("VELLUM_SHARE_SECRET must be at least 32 bytes");
  } else if (auth === "required") {
    fail("VELLUM_SHARE_SECRET is required with VELLUM_AUTH=required (at least 32 random bytes)");
  }

  let publicUrl: string | undefined;
  if (env.VELLUM_PUBLIC_URL) {
    let u: URL | undefined;
    try {
      u = new URL(env.VELLUM_PUBLIC_URL);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== "https:" && u.protocol !== "http:") || u.pathname !== "/" || u.search || u.hash || u.username) {
      fail("VELLUM_PUBLIC_URL must be an http(s) origin such as https://vellum.example.com");
    }
    publicUrl = u!.origin;
  }

  /** Tokens per second: a decimal number, so that slow refills (0.1 = one every 10 s) can be set. */
  const rate = (name: string, def: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return def;
    const n = /^\d{1,7}(\.\d{1,6})?$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!(n >= 0.001 && n <= 1_000_000)) fail(`${name} must be a number of tokens per second in [0.001, 1000000]`);
    return n;
  };
  const rateLimits: Record<RateClass, BucketConfig> = {
    read: {
      ratePerSecond: rate("VELLUM_RATE_READ_PER_SEC", 500),
      burst: ctx.int("VELLUM_RATE_READ_BURST", 1000, 1, 10_000_000),
    },
    write: {
      ratePerSecond: rate("VELLUM_RATE_WRITE_PER_SEC", 100),
      burst: ctx.int("VELLUM_RATE_WRITE_BURST", 200, 1, 10_000_000),
    },
  };
  return { auth, adminKey, jwt, shareSecret, publicUrl, rateLimits };
}
