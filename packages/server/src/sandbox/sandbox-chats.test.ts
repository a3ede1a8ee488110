import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TelegramDouble } from "@lastbite/telegram-double";
import Fastify from "fastify";
import { Api } from "grammy";
import { afterEach, describe, expect, it } from "vitest";
import { sandboxRoutes } from "./sandbox.routes.ts";
import { keepSandboxChats, loadSandboxChats, SANDBOX_CHATS_FILE } from "./sandbox-chats.ts";

const open: TelegramDouble[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the sandbox's chats in DATA_DIR", () => {
  it("are written shortly after a change (owner-only) and come back in the next run, people added on the page included", async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "sbx-chats-")), "data");
    expect(loadSandboxChats(dir)).toEqual({}); // nothing yet
    const tg = await TelegramDouble.start();
    open.push(tg);
    const kept = keepSandboxChats(tg, dir);
    const app = Fastify();
    await app.register(sandboxRoutes, {
      double: tg,
      users: [{ id: 700000001, first_name: "Aziza", language_code: "uz" }],
      signInitData: () => "signed",
      publicUrl: "",
    });
    const added = await app.inject({
      method: "POST",
      url: "/sandbox/api/users",
      payload: { first_name: "Malika", language_code: "ru" },
    });
    const malika = added.json().id as number;
    await new Api(tg.token, { apiRoot: tg.apiRoot }).sendMessage(malika, "Салом");
    await app.inject({
      method: "POST",
      url: "/sandbox/api/language",
      payload: { userId: 700000001, language_code: "ru" },
    });
    await sleep(300);
    const file = path.join(dir, SANDBOX_CHATS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).not.toContain(tg.token);
    kept.stop();
    await app.close();

    const { snapshot } = loadSandboxChats(dir);
    const again = await TelegramDouble.start({ token: tg.token, ...(snapshot ? { restore: snapshot } : {}) });
    open.push(again);
    const app2 = Fastify();
    await app2.register(sandboxRoutes, {
      double: again,
      users: [{ id: 700000001, first_name: "Aziza", language_code: "uz" }],
      signInitData: () => "signed",
      publicUrl: "",
    });
    const state = (await app2.inject({ url: "/sandbox/api/state" })).json();
    const back = state.users.find((u: { id: number }) => u.id === malika);
    expect(back).toMatchObject({ first_name: "Malika", language_code: "ru", role: "new user" });
    expect(back.messages.map((m: { text: string }) => m.text)).toEqual(["Салом"]);
    // the language switched on the page stays switched
    expect(state.users.find((u: { id: number }) => u.id === 700000001).language_code).toBe("ru");
    await app2.close();
  });

  it("a file that is not the chats is reported, and the sandbox starts with empty chats", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sbx-chats-"));
    writeFileSync(path.join(dir, SANDBOX_CHATS_FILE), "{ half a file");
    const r = loadSandboxChats(dir);
    expect(r.snapshot).toBeUndefined();
    expect(r.problem).toMatch(/sandbox-telegram\.json: .*the sandbox's chats start empty/);
  });
});
