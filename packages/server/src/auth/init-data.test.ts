import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signInitData, validateInitData } from "./init-data.ts";

const TOKEN = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8";
const user = {
  id: 279058397,
  first_name: "Vladislav",
  last_name: "Kibenko",
  username: "vdkfrost",
  language_code: "ru",
};

/** Built by hand exactly as Telegram's documentation describes, independent of the code under test. */
function documentedExample(authDate: number) {
  const userJson = JSON.stringify(user);
  const fields = { auth_date: String(authDate), query_id: "AAHdF6IQAAAAAN0XohDhrOrc", user: userJson };
  const dataCheckString = `auth_date=${fields.auth_date}\nquery_id=${fields.query_id}\nuser=${userJson}`;
  const secret = createHmac("sha256", "WebAppData").update(TOKEN).digest();
  const hash = createHmac("sha256", secret).update(dataCheckString).digest("hex");
  return new URLSearchParams({ ...fields, hash }).toString();
}

describe("validateInitData", () => {
  const now = new Date("2026-11-25T12:00:00Z");
  const fresh = Math.floor(now.getTime() / 1000) - 60;

  it("accepts data signed as Telegram documents it", () => {
    const res = validateInitData(documentedExample(fresh), TOKEN, 86400, now);
    expect(res.ok).toBe(true);
    if (res.ok) {
      expect(res.data.user.id).toBe(279058397);
      expect(res.data.user.username).toBe("vdkfrost");
      expect(res.data.authDate.getTime()).toBe(fresh * 1000);
    }
  });

  it("round-trips with signInitData, including start_param", () => {
    const raw = signInitData(TOKEN, { user, authDate: now, startParam: "order_42" });
    const res = validateInitData(raw, TOKEN, 60, now);
    expect(res).toMatchObject({ ok: true, data: { startParam: "order_42" } });
  });

  it("refuses data signed with another bot's token (forged)", () => {
    const raw = signInitData("1111:another-token-entirely-xxxxxxxx", { user, authDate: now });
    expect(validateInitData(raw, TOKEN, 86400, now)).toEqual({ ok: false, reason: "bad signature" });
  });

  it("refuses tampered data: a changed user id keeps the old hash", () => {
    const raw = documentedExample(fresh).replace("279058397", "279058398");
    expect(validateInitData(raw, TOKEN, 86400, now)).toEqual({ ok: false, reason: "bad signature" });
  });

  it("refuses an added field", () => {
    expect(validateInitData(`${documentedExample(fresh)}&chat_type=private`, TOKEN, 86400, now).ok).toBe(
      false,
    );
  });

  it("refuses expired data", () => {
    const raw = documentedExample(fresh - 86400);
    expect(validateInitData(raw, TOKEN, 86400, now)).toEqual({ ok: false, reason: "expired" });
  });

  it("refuses data from the future", () => {
    expect(validateInitData(documentedExample(fresh + 3600), TOKEN, 86400, now).ok).toBe(false);
  });

  it.each([
    ["empty", ""],
    ["no hash", "auth_date=1&user=%7B%7D"],
    ["short hash", "auth_date=1&hash=abc"],
    ["non-hex hash", `auth_date=1&hash=${"z".repeat(64)}`],
    ["garbage", "%%%&&&==="],
    ["huge", "a".repeat(10_000)],
  ])("refuses malformed data: %s", (_name, raw) => {
    expect(validateInitData(raw, TOKEN, 86400, now).ok).toBe(false);
  });

  it("refuses a correctly signed but malformed user", () => {
    const params = new URLSearchParams({ auth_date: String(fresh), user: '{"id":"1"}' });
    const dcs = [...params.entries()]
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
    const secret = createHmac("sha256", "WebAppData").update(TOKEN).digest();
    params.set("hash", createHmac("sha256", secret).update(dcs).digest("hex"));
    expect(validateInitData(params.toString(), TOKEN, 86400, now)).toEqual({
      ok: false,
      reason: "malformed user",
    });
  });
});
