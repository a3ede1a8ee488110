import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("runs with no configuration at all: embedded database, sandbox, polling", () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.botToken).toBeNull();
    expect(c.botMode).toBe("polling");
    expect(c.databaseUrl).toMatch(/data[/\\]pglite$/);
    expect(c.initDataMaxAge).toBe(86400);
    expect(c.orderAcceptTimeout).toBe(1800);
    expect(c.telegramMessagesPerSecond).toBe(30);
    expect(loadConfig({ TELEGRAM_MESSAGES_PER_SECOND: "15" }).telegramMessagesPerSecond).toBe(15);
  });

  it("reads the time rules: reminders, no-show grace and the shops' default zone", () => {
    const d = loadConfig({});
    expect([d.pickupReminderBefore, d.noShowGrace, d.ratingReminderAfter, d.shopTimezone]).toEqual([
      1800,
      7200,
      7200,
      "Asia/Tashkent",
    ]);
    const c = loadConfig({
      PICKUP_REMINDER_BEFORE: "0",
      NO_SHOW_GRACE: "30",
      RATING_REMINDER_AFTER: "60",
      SHOP_TIMEZONE: "Europe/Moscow",
    });
    expect([c.pickupReminderBefore, c.noShowGrace, c.ratingReminderAfter, c.shopTimezone]).toEqual([
      0,
      30,
      60,
      "Europe/Moscow",
    ]);
  });

  it("derives webhook mode and a secret from PUBLIC_URL and BOT_TOKEN", () => {
    const c = loadConfig({
      PUBLIC_URL: "https://shop.example/",
      BOT_TOKEN: "123:AAAAAAAAAAAAAAAAAAAAAAAAAAA",
    });
    expect(c.botMode).toBe("webhook");
    expect(c.publicUrl).toBe("https://shop.example");
    expect(c.webhookSecret).toMatch(/^[0-9a-f]{48}$/);
    expect(c.warnings).toEqual([]);
  });

  it("warns about plain-http PUBLIC_URL", () => {
    expect(loadConfig({ PUBLIC_URL: "http://localhost:8080" }).warnings[0]).toMatch(/plain http/);
  });

  it.each([
    ["PORT", { PORT: "eighty" }],
    ["PORT", { PORT: "70000" }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://x" }],
    ["BOT_TOKEN", { BOT_TOKEN: "nope" }],
    ["BOT_MODE", { BOT_MODE: "carrier-pigeon" }],
    ["BOT_MODE", { BOT_MODE: "webhook" }],
    ["PUBLIC_URL", { PUBLIC_URL: "ftp://x" }],
    ["INIT_DATA_MAX_AGE", { INIT_DATA_MAX_AGE: "-5" }],
    ["ADMIN_IDS", { ADMIN_IDS: "1,two" }],
    ["ORDER_ACCEPT_TIMEOUT", { ORDER_ACCEPT_TIMEOUT: "0" }],
    ["WEBHOOK_SECRET", { WEBHOOK_SECRET: "has spaces" }],
    ["TELEGRAM_API_ROOT", { TELEGRAM_API_ROOT: "not a url" }],
    ["TRUST_PROXY", { TRUST_PROXY: "yes" }],
    ["TRUST_PROXY", { TRUST_PROXY: "10.0.0.0/33" }],
    ["TRUST_PROXY", { TRUST_PROXY: "10.0.0.1,,10.0.0.2" }],
    ["TRUST_PROXY", { TRUST_PROXY: "-1" }],
    ["REDIS_URL", { REDIS_URL: "http://cache:6379" }],
    ["REDIS_URL", { REDIS_URL: "cache:6379" }],
    ["REDIS_URL", { REDIS_URL: "redis://" }],
    ["REDIS_URL", { REDIS_URL: "redis://cache:6379/zero" }],
    ["REDIS_URL", { REDIS_URL: "redis://cache:99999" }],
    ["TELEGRAM_MESSAGES_PER_SECOND", { TELEGRAM_MESSAGES_PER_SECOND: "0" }],
    ["TELEGRAM_MESSAGES_PER_SECOND", { TELEGRAM_MESSAGES_PER_SECOND: "2.5" }],
    ["SHOP_TIMEZONE", { SHOP_TIMEZONE: "Mars/Olympus" }],
    ["SHOP_TIMEZONE", { SHOP_TIMEZONE: "+05:00 please" }],
    ["PICKUP_REMINDER_BEFORE", { PICKUP_REMINDER_BEFORE: "soon" }],
    ["NO_SHOW_GRACE", { NO_SHOW_GRACE: "-1" }],
    ["RATING_REMINDER_AFTER", { RATING_REMINDER_AFTER: "1.5" }],
    ["METRICS_TOKEN", { METRICS_TOKEN: "short" }],
    ["METRICS_TOKEN", { METRICS_TOKEN: "a token with spaces in it" }],
  ])("stops on a bad %s with a line naming it", (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (e) {
      expect((e as ConfigError).variable).toBe(variable);
      expect((e as Error).message.startsWith(`${variable}:`)).toBe(true);
    }
  });

  it("trusts no proxy unless TRUST_PROXY says so: a hop count or addresses/CIDRs", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "" }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "0" }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: " 2 " }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: "127.0.0.1, 10.0.0.0/8,::1,fd00::/8" }).trustProxy).toEqual([
      "127.0.0.1",
      "10.0.0.0/8",
      "::1",
      "fd00::/8",
    ]);
  });

  it("shares limits through Redis only when REDIS_URL is set, and never repeats its password in an error", () => {
    expect(loadConfig({}).redisUrl).toBeNull();
    expect(loadConfig({ REDIS_URL: " " }).redisUrl).toBeNull();
    expect(loadConfig({ REDIS_URL: "redis://127.0.0.1:6379" }).redisUrl).toBe("redis://127.0.0.1:6379");
    expect(loadConfig({ REDIS_URL: "rediss://:s3cret@cache.internal:6380/2" }).redisUrl).toBe(
      "rediss://:s3cret@cache.internal:6380/2",
    );
    expect(() => loadConfig({ REDIS_URL: "http://:s3cret@cache:6379" })).toThrow(/^REDIS_URL: (?!.*s3cret)/);
    expect(() => loadConfig({ REDIS_URL: "redis://:s3cret@cache:6379/x" })).toThrow(
      /^REDIS_URL: (?!.*s3cret)/,
    );
  });
});
