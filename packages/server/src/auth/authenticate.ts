import { stripControlChars } from "@lastbite/shared";
import type { FastifyRequest } from "fastify";
import type { UserRepository } from "../users/user.repository.ts";
import { type InitDataUser, validateInitData } from "./init-data.ts";

/** The signed-in Telegram user of a request. */
export interface AuthUser {
  id: number;
  first_name: string;
  last_name: string | null;
  username: string | null;
  language: string;
}

declare module "fastify" {
  interface FastifyRequest {
    user: AuthUser | null;
  }
}

/**
 * Verifies `Authorization: tma <initData>` (or `?tma=` for EventSource) and upserts the user.
 * Upserts are skipped while the user's profile is unchanged, so reads don't write.
 */
export class Authenticator {
  private readonly seen = new Map<number, string>();

  constructor(
    private readonly users: UserRepository,
    private readonly botToken: string,
    private readonly maxAge: number,
  ) {}

  async authenticate(req: FastifyRequest): Promise<AuthUser | null> {
    const raw = initDataOf(req);
    if (!raw) return null;
    const user = this.verify(raw);
    return user ? this.upsert(user) : null;
  }

  /**
   * A Mini App sends the same init data with every request of its session: its signature is checked
   * once and the answer kept (in memory only) until that init data expires.
   */
  private readonly verified = new Map<string, { user: InitDataUser; until: number }>();
  private verify(raw: string): InitDataUser | null {
    const now = Date.now();
    const hit = this.verified.get(raw);
    if (hit && now < hit.until) return hit.user;
    const res = validateInitData(raw, this.botToken, this.maxAge, new Date(now));
    if (!res.ok) {
      this.verified.delete(raw);
      return null;
    }
    if (this.verified.size >= 5000) this.verified.clear();
    this.verified.set(raw, { user: res.data.user, until: res.data.authDate.getTime() + this.maxAge * 1000 });
    return res.data.user;
  }

  async upsert(u: InitDataUser): Promise<AuthUser> {
    const user: AuthUser = {
      id: u.id,
      // Telegram allows control characters in names; PostgreSQL cannot store NUL, and no one reads them.
      first_name: stripControlChars(u.first_name).slice(0, 128),
      last_name: u.last_name ? stripControlChars(u.last_name).slice(0, 128) : null,
      username: u.username ? stripControlChars(u.username).slice(0, 64) : null,
      language: stripControlChars(u.language_code ?? "en").slice(0, 16) || "en",
    };
    const fingerprint = JSON.stringify(user);
    if (this.seen.get(user.id) !== fingerprint) {
      await this.users.upsert(user);
      if (this.seen.size > 50_000) this.seen.clear();
      this.seen.set(user.id, fingerprint);
    }
    return user;
  }
}

function initDataOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h === "string") {
    const m = /^tma\s+(.+)$/i.exec(h.trim());
    return m?.[1] ?? null;
  }
  const q = (req.query as Record<string, unknown> | undefined)?.tma;
  return typeof q === "string" ? q : null;
}
