import type { FastifyRequest } from "fastify";
import { z } from "zod";
import type { AuthUser } from "../auth/authenticate.ts";
import { ProblemError } from "./problem.ts";

export const idParams = z.strictObject({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

/** The signed-in user; the auth hook has already refused anonymous /api requests. */
export function userOf(req: FastifyRequest): AuthUser {
  if (!req.user) throw new ProblemError("unauthorized", "sign in with Telegram init data");
  return req.user;
}
