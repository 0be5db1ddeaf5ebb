/**
 * Credentials recognised by their issuer's documented prefix and alphabet, wherever they appear.
 * Each pattern matches the whole token; keys that have no fixed shape (an AWS secret access key,
 * an Azure account key) are caught by their key name instead (sensitive-keys.ts).
 */
export const API_KEY_PATTERNS: readonly RegExp[] = [
  /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}\b/, // AWS access key id
  /\bAIza[0-9A-Za-z_-]{35}/, // Google API key
  /\bGOCSPX-[0-9A-Za-z_-]{28}/, // Google OAuth client secret
  /\bya29\.[0-9A-Za-z_-]{20,}/, // Google OAuth access token
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}/, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{22,255}/, // GitHub fine-grained token
  /\bgl(?:pat|dt|rt|ptt|ft|imt|cbt|soat|oas|agent)-[A-Za-z0-9_-]{20,}/, // GitLab tokens
  /\bxox[abposre]-[A-Za-z0-9-]{10,}/, // Slack tokens
  /\bxapp-\d-[A-Za-z0-9-]{10,}/, // Slack app-level token
  /(?<=hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9+/_-]{8,}/, // Slack webhook path
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/, // Stripe secret and restricted keys
  /\bwhsec_[A-Za-z0-9+/=]{20,}/, // Stripe webhook signing secret
  /\bsk-(?:proj-|svcacct-|admin-|ant-[a-z]{3,5}\d{2}-)?[A-Za-z0-9_-]{20,}/, // OpenAI / Anthropic keys
  /\bnpm_[A-Za-z0-9]{36}\b/, // npm token
  /\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}/, // PyPI token
  /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/, // SendGrid
  /\bSK[0-9a-fA-F]{32}\b/, // Twilio API key
  /\bkey-[0-9a-f]{32}\b/, // Mailgun
  /\b[0-9a-f]{32}-us\d{1,2}\b/, // Mailchimp
  /\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b/, // Shopify
  /\bdo[opr]_v1_[a-f0-9]{64}\b/, // DigitalOcean
  /\bhv[sbr]\.[A-Za-z0-9_-]{24,}/, // HashiCorp Vault
  /\bdckr_pat_[A-Za-z0-9_-]{27,}/, // Docker Hub
  /\blin_api_[A-Za-z0-9]{40}\b/, // Linear
  /\bsq0(?:atp|csp)-[0-9A-Za-z_-]{22,}/, // Square
  /\bvk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}/, // Vellum API key
];
