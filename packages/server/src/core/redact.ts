import { timingSafeEqual } from "node:crypto";
import type { FastifyServerOptions } from "fastify";

/** Replaces every secret in a text; `.value` does the same deep inside log arguments. */
export interface Redactor {
  (text: string): string;
  /** A copy of `value` with secrets replaced in every string of plain objects, arrays and errors. */
  value<T>(value: T): T;
}

export const REDACTED = "[redacted]";

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Builds a redactor for the given secrets (the bot token, the webhook secret). Each secret is also
 * matched URL-encoded, and a bot token's secret half (after `id:`) on its own, so
 * `…/bot123:ABC/sendMessage` becomes `…/bot[redacted]/sendMessage`. Empty and very short values are
 * ignored: they would redact innocent text and are no secret anyway.
 */
export function makeRedactor(secrets: readonly (string | null | undefined)[]): Redactor {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 8) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    const half = s.slice(s.indexOf(":") + 1);
    if (half !== s && half.length >= 8) {
      forms.add(half);
      forms.add(encodeURIComponent(half));
    }
  }
  const pattern =
    forms.size === 0
      ? null
      : new RegExp(
          [...forms]
            .sort((a, b) => b.length - a.length)
            .map(escapeRegExp)
            .join("|"),
          "g",
        );
  const text = (s: string) => (pattern ? s.replace(pattern, REDACTED) : s);
  const redactor = text as Redactor;
  redactor.value = <T>(v: T): T => (pattern ? (walk(v, text, new WeakMap(), 0) as T) : v);
  return redactor;
}

const isPlain = (v: object) => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

function walk(
  v: unknown,
  text: (s: string) => string,
  seen: WeakMap<object, unknown>,
  depth: number,
): unknown {
  if (typeof v === "string") return text(v);
  if (typeof v !== "object" || v === null || depth > 8) return v;
  const done = seen.get(v);
  if (done !== undefined) return done;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const x of v) out.push(walk(x, text, seen, depth + 1));
    return out;
  }
  // Errors keep their prototype (pino's serializer reads type, message, stack and own fields).
  if (v instanceof Error || isPlain(v)) {
    const out = Object.create(Object.getPrototypeOf(v)) as Record<PropertyKey, unknown>;
    seen.set(v, out);
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (!d) continue;
      // Accessors (a stack getter on some engines) are read once and stored as plain values.
      const raw = "value" in d ? d.value : (v as Record<PropertyKey, unknown>)[key];
      Object.defineProperty(out, key, {
        value: walk(raw, text, seen, depth + 1),
        writable: true,
        enumerable: d.enumerable ?? false,
        configurable: true,
      });
    }
    return out;
  }
  // Anything else (requests, replies, buffers) is left to the logger's serializers.
  return v;
}

export interface LoggerLike {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  debug?(obj: unknown, msg?: string): void;
}

/** A logger that redacts every argument before handing it on. */
export function redactingLogger<L extends LoggerLike>(log: L, redact: Redactor): LoggerLike {
  const wrap =
    (level: "info" | "warn" | "error" | "debug") =>
    (obj: unknown, msg?: string): void => {
      const fn = log[level];
      if (!fn) return;
      if (msg === undefined) fn.call(log, redact.value(obj));
      else fn.call(log, redact.value(obj), redact(msg));
    };
  return { info: wrap("info"), warn: wrap("warn"), error: wrap("error"), debug: wrap("debug") };
}

type LoggerOptions = Exclude<FastifyServerOptions["logger"], boolean | undefined>;
interface LineStream {
  write(line: string): unknown;
}

/**
 * Pino/Fastify logger options that never write a secret: every call's arguments are redacted before
 * serialization (`hooks.logMethod`, so errors nested in errors are covered), and every finished line
 * once more on its way to the stream (whatever a serializer produced). `false` stays `false`.
 */
export function redactSecretsInLogs(
  logger: FastifyServerOptions["logger"],
  secrets: readonly (string | null | undefined)[],
): FastifyServerOptions["logger"] {
  if (!logger) return logger;
  const base: LoggerOptions & { stream?: LineStream } = typeof logger === "object" ? logger : {};
  const redact = makeRedactor(secrets);
  const previous = base.hooks?.logMethod;
  const out: LoggerOptions & { stream?: LineStream } = {
    ...base,
    hooks: {
      ...(base.hooks ?? {}),
      logMethod(args, method, level) {
        const safe = args.map((a) => redact.value(a)) as typeof args;
        if (previous) return previous.call(this, safe, method, level);
        return method.apply(this, safe);
      },
    },
  };
  if (!base.transport) {
    const target: LineStream = base.stream ?? process.stdout;
    out.stream = { write: (line: string) => target.write(redact(line)) };
  }
  return out;
}

/** Whether a secret someone sent is the expected one, in time that does not depend on where they differ. */
export function secretMatches(given: unknown, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
