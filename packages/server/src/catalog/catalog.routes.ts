import {
  createOfferBody,
  createStoreBody,
  errorResponses,
  meSchema,
  offerListQuery,
  offerListSchema,
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
import { meResponse } from "../users/me.ts";

export async function catalogRoutes(root: FastifyInstance, { services }: { services: Services }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { buyers, catalog, offerSearch } = services;

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
      return meResponse(services, user);
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
    async (req, reply) => {
      const offer = unwrap(await catalog.createOffer(userOf(req).id, req.params.id, req.body));
      await buyers.announceOffer(offer.id);
      return reply.status(201).send(offer);
    },
  );
  app.get(
    "/api/offers",
    {
      schema: {
        tags: ["offers"],
        summary: "What can be ordered now: filtered, sorted, a page at a time",
        querystring: offerListQuery,
        response: { 200: offerListSchema, ...errorResponses },
      },
    },
    async (req) => unwrap(await offerSearch.search(req.query, userOf(req).id)),
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
    async (req) => {
      const offer = unwrap(await catalog.updateOffer(userOf(req).id, req.params.id, req.body));
      // Resumed: followers hear of it, as of a new offer (once a day a shop).
      if (req.body.active === true) await buyers.announceOffer(offer.id);
      return offer;
    },
  );
}
