import { createHmac, timingSafeEqual } from "node:crypto";

/** The Telegram user carried in Mini App init data. */
export interface InitDataUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_premium?: boolean;
  photo_url?: string;
}

export interface ValidInitData {
  user: InitDataUser;
  authDate: Date;
  startParam: string | null;
  queryId: string | null;
}

export type InitDataResult = { ok: true; data: ValidInitData } | { ok: false; reason: string };

const secretKey = (botToken: string) => createHmac("sha256", "WebAppData").update(botToken).digest();

function dataCheckString(params: URLSearchParams): string {
  return [...params.entries()]
    .filter(([k]) => k !== "hash")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
}

/**
 * Checks Telegram Mini App init data as Telegram documents it: HMAC-SHA256 of the sorted
 * `key=value` lines with the key HMAC-SHA256("WebAppData", botToken), compared in constant time,
 * then `auth_date` against `maxAgeSeconds`. Never throws.
 */
export function validateInitData(
  raw: string,
  botToken: string,
  maxAgeSeconds: number,
  now: Date = new Date(),
): InitDataResult {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 8192)
    return { ok: false, reason: "missing" };
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(raw);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const hash = params.get("hash");
  if (!hash || !/^[0-9a-f]{64}$/i.test(hash)) return { ok: false, reason: "no hash" };
  const expected = createHmac("sha256", secretKey(botToken)).update(dataCheckString(params)).digest();
  const given = Buffer.from(hash, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "bad signature" };
  const authDate = Number(params.get("auth_date"));
  if (!Number.isInteger(authDate) || authDate <= 0) return { ok: false, reason: "no auth_date" };
  const age = now.getTime() / 1000 - authDate;
  if (age > maxAgeSeconds) return { ok: false, reason: "expired" };
  if (age < -300) return { ok: false, reason: "auth_date in the future" };
  let user: unknown;
  try {
    user = JSON.parse(params.get("user") ?? "");
  } catch {
    return { ok: false, reason: "malformed user" };
  }
  if (!isUser(user)) return { ok: false, reason: "malformed user" };
  return {
    ok: true,
    data: {
      user,
      authDate: new Date(authDate * 1000),
      startParam: params.get("start_param"),
      queryId: params.get("query_id"),
    },
  };
}

function isUser(u: unknown): u is InitDataUser {
  if (typeof u !== "object" || u === null) return false;
  const o = u as Record<string, unknown>;
  return (
    typeof o.id === "number" &&
    Number.isSafeInteger(o.id) &&
    o.id > 0 &&
    typeof o.first_name === "string" &&
    (o.username === undefined || typeof o.username === "string") &&
    (o.language_code === undefined || typeof o.language_code === "string") &&
    (o.last_name === undefined || typeof o.last_name === "string")
  );
}

/** Signs init data the way Telegram does: for tests, the sandbox and benchmarks. */
export function signInitData(
  botToken: string,
  data: { user: InitDataUser; authDate?: Date; startParam?: string; queryId?: string },
): string {
  const params = new URLSearchParams();
  params.set("query_id", data.queryId ?? `AAH${Math.random().toString(36).slice(2, 12)}`);
  params.set("user", JSON.stringify(data.user));
  params.set("auth_date", String(Math.floor((data.authDate ?? new Date()).getTime() / 1000)));
  if (data.startParam) params.set("start_param", data.startParam);
  params.set("hash", createHmac("sha256", secretKey(botToken)).update(dataCheckString(params)).digest("hex"));
  return params.toString();
}
