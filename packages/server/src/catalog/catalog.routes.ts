import {
  createOfferBody,
  createStoreBody,
  errorResponses,
  meSchema,
  offerSchema,
  patchOfferBody,
  patchStoreBody,
  storeSchema,
} from "@lastbite/shared";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { unwrap } from "../http/problem.ts";
import { idParams, userOf } from "../http/route-helpers.ts";
import type { Services } from "../services.ts";

export async function catalogRoutes(root: FastifyInstance, { services }: { services: Services }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { catalog, users } = services;

  app.get(
    "/api/me",
    {
      schema: {
        tags: ["me"],
        summary: "The signed-in user and the shops they own",
        response: { 200: meSchema, ...errorResponses },
      },
    },
    async (req) => {
      const user = userOf(req);
      const phone = await users.phoneOf(user.id);
      return {
        user: { ...user, phone },
        stores: await catalog.storesOwnedBy(user.id),
        shop_timezone: services.config.shopTimezone,
      };
    },
  );

  app.get(
    "/api/stores",
    { schema: { tags: ["stores"], response: { 200: z.object({ stores: z.array(storeSchema) }) } } },
    async () => ({
      stores: await catalog.listStores(),
    }),
  );
  app.get(
    "/api/stores/:id",
    { schema: { tags: ["stores"], params: idParams, response: { 200: storeSchema, ...errorResponses } } },
    async (req) => unwrap(await catalog.getStore(req.params.id)),
  );
  app.post(
    "/api/stores",
    {
      schema: { tags: ["stores"], body: createStoreBody, response: { 201: storeSchema, ...errorResponses } },
    },
    async (req, reply) => reply.status(201).send(await catalog.createStore(userOf(req).id, req.body)),
  );
  app.patch(
    "/api/stores/:id",
    {
      schema: {
        tags: ["stores"],
        params: idParams,
        body: patchStoreBody,
        response: { 200: storeSchema, ...errorResponses },
      },
    },
    async (req) => unwrap(await catalog.updateStore(userOf(req).id, req.params.id, req.body)),
  );

  app.post(
    "/api/stores/:id/offers",
    {
      schema: {
        tags: ["offers"],
        params: idParams,
        body: createOfferBody,
        response: { 201: offerSchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.status(201).send(unwrap(await catalog.createOffer(userOf(req).id, req.params.id, req.body))),
  );
  app.get(
    "/api/offers",
    {
      schema: {
        tags: ["offers"],
        querystring: z.strictObject({
          store_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
          all: z
            .enum(["0", "1"])
            .optional()
            .describe("1: the shop's owner sees every offer of `store_id`, in any state"),
        }),
        response: { 200: z.object({ offers: z.array(offerSchema) }), ...errorResponses },
      },
    },
    async (req) => ({
      offers: await catalog.listOffers(
        req.query.store_id,
        req.query.all === "1" ? userOf(req).id : undefined,
      ),
    }),
  );
  app.get(
    "/api/offers/:id",
    { schema: { tags: ["offers"], params: idParams, response: { 200: offerSchema, ...errorResponses } } },
    async (req) => unwrap(await catalog.getOffer(req.params.id)),
  );
  app.patch(
    "/api/offers/:id",
    {
      schema: {
        tags: ["offers"],
        params: idParams,
        body: patchOfferBody,
        response: { 200: offerSchema, ...errorResponses },
      },
    },
    async (req) => unwrap(await catalog.updateOffer(userOf(req).id, req.params.id, req.body)),
  );
}
