import { errorResponses, favouritesSchema, impactSchema, meSchema, patchMeBody } from "@lastbite/shared";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { unwrap } from "../http/problem.ts";
import { idParams, userOf } from "../http/route-helpers.ts";
import type { Services } from "../services.ts";
import { meResponse } from "../users/me.ts";

/** A buyer's own things: favourite shops, alert settings, their impact. */
export async function buyerRoutes(root: FastifyInstance, { services }: { services: Services }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { buyers } = services;
  const noContent = { 204: z.null().describe("done"), ...errorResponses };

  app.put(
    "/api/stores/:id/favourite",
    { schema: { tags: ["me"], summary: "Follow a shop", params: idParams, response: noContent } },
    async (req, reply) => {
      unwrap(await buyers.follow(userOf(req).id, req.params.id));
      return reply.status(204).send(null);
    },
  );
  app.delete(
    "/api/stores/:id/favourite",
    { schema: { tags: ["me"], summary: "Stop following a shop", params: idParams, response: noContent } },
    async (req, reply) => {
      await buyers.unfollow(userOf(req).id, req.params.id);
      return reply.status(204).send(null);
    },
  );
  app.get(
    "/api/me/favourites",
    {
      schema: {
        tags: ["me"],
        summary: "The shops I follow",
        response: { 200: favouritesSchema, ...errorResponses },
      },
    },
    async (req) => ({ stores: await buyers.favourites(userOf(req).id) }),
  );
  app.get(
    "/api/me/impact",
    {
      schema: {
        tags: ["me"],
        summary: "What my completed orders saved: so'm, meals, CO2e",
        response: { 200: impactSchema, ...errorResponses },
      },
    },
    async (req) => buyers.impact(userOf(req).id),
  );
  app.patch(
    "/api/me",
    {
      schema: {
        tags: ["me"],
        summary: "My settings: `offer_alerts` turns the bot's new-offer messages on or off",
        body: patchMeBody,
        response: { 200: meSchema, ...errorResponses },
      },
    },
    async (req) => {
      const user = userOf(req);
      await buyers.setOfferAlerts(user.id, req.body.offer_alerts);
      return meResponse(services, user);
    },
  );
}
