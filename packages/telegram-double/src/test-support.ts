import { Api } from "grammy";
import { afterEach, beforeEach } from "vitest";
import { TelegramDouble } from "./index.ts";

export const AZIZA = { id: 1001, first_name: "Aziza", username: "aziza_t", language_code: "uz" };
export const RUSTAM = { id: 1002, first_name: "Rustam", language_code: "ru" };

/** A double that knows Aziza and Rustam, and a grammY `Api` talking to it; short webhook retries keep tests fast. */
export async function startDouble(): Promise<{ tg: TelegramDouble; api: Api }> {
  const tg = await TelegramDouble.start({ webhookRetryDelaysMs: [20, 40, 80] });
  tg.addUser(AZIZA);
  tg.addUser(RUSTAM);
  return { tg, api: new Api(tg.token, { apiRoot: tg.apiRoot }) };
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

/** Starts a fresh double before each test of the file (handing it to `use`) and closes it after. */
export function withDouble(use: (d: { tg: TelegramDouble; api: Api }) => void): void {
  let current: TelegramDouble | undefined;
  beforeEach(async () => {
    const d = await startDouble();
    current = d.tg;
    use(d);
  });
  afterEach(async () => {
    await current?.close();
  });
}
