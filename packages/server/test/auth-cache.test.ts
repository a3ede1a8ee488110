import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInitData } from "../src/auth/init-data.ts";
import { createTestApp, newUser, TEST_TOKEN, type TestApp } from "./helpers.ts";

/**
 * Init data is verified once per session string and the answer kept until it expires: the kept
 * answer must never outlive INIT_DATA_MAX_AGE, and a forged copy is never taken for the real one.
 */
describe("verified init data, kept", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("pglite", { config: { INIT_DATA_MAX_AGE: "4" } });
  });
  afterAll(async () => t?.close());

  const me = (initData: string) =>
    t.app.inject({ url: "/api/me", headers: { authorization: `tma ${initData}` } });

  it("answers the same init data again without a new check, and refuses it once it has expired", async () => {
    const user = newUser();
    // auth_date is whole seconds: signed a second ago, it expires 3–4 s from now
    const authDate = new Date(Math.floor((Date.now() - 1000) / 1000) * 1000);
    const expires = authDate.getTime() + 4000;
    const initData = signInitData(TEST_TOKEN, { user, authDate });
    expect((await me(initData)).statusCode).toBe(200);
    expect((await me(initData)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, expires - Date.now() + 1100));
    const late = await me(initData);
    expect(late.statusCode).toBe(401);
    expect(late.headers["content-type"]).toMatch(/application\/problem\+json/);
  });

  it("a tampered copy of verified init data is refused", async () => {
    const user = newUser({ first_name: "Real" });
    const initData = signInitData(TEST_TOKEN, { user });
    expect((await me(initData)).statusCode).toBe(200);
    const forged = initData.replace(
      encodeURIComponent('"first_name":"Real"'),
      encodeURIComponent('"first_name":"Fake"'),
    );
    expect(forged).not.toBe(initData);
    expect((await me(forged)).statusCode).toBe(401);
  });
});
