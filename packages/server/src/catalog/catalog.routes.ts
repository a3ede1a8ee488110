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
  pickLang,
  preparedShareSchema,
  repostOfferBody,
  storeSchema,
} from "@lastbite/shared";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ProblemError, unwrap } from "../http/problem.ts";
import { idParams, userOf } from "../http/route-helpers.ts";
import type { Services } from "../services.ts";
import { meResponse } from "../users/me.ts";
import { STORE_DECISIONS, type StoreDecision } from "./catalog.service.ts";
import { JpegCopies, PHOTO_MAX_BYTES, PHOTO_SIZES, PHOTO_TYPES, type PhotoSize } from "./offer-photo.ts";

export async function catalogRoutes(root: FastifyInstance, { services }: { services: Services }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { buyers, catalog, offerSearch, shares } = services;
  const jpegs = new JpegCopies();
  // Offer photos arrive as the image itself; the route checks what it is (a JSON body is refused there).
  app.addContentTypeParser(
    [...PHOTO_TYPES],
    { parseAs: "buffer", bodyLimit: PHOTO_MAX_BYTES },
    (_req, body, done) => done(null, body),
  );

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
    {
      schema: {
        tags: ["stores"],
        summary: "Active shops, and the caller's own in any state",
        response: { 200: z.object({ stores: z.array(storeSchema) }) },
      },
    },
    async (req) => ({
      stores: await catalog.listStores(userOf(req).id),
    }),
  );

  app.get(
    "/api/admin/stores",
    {
      schema: {
        tags: ["admin"],
        summary: "Shops in one status (admins only): by default those waiting for moderation",
        querystring: z.strictObject({
          status: z.enum(["pending", "active", "rejected", "suspended"]).optional(),
        }),
        response: { 200: z.object({ stores: z.array(storeSchema) }), ...errorResponses },
      },
    },
    async (req) => ({ stores: unwrap(await catalog.storesForAdmin(userOf(req).id, req.query.status)) }),
  );
  app.post(
    "/api/admin/stores/:id/:decision",
    {
      schema: {
        tags: ["admin"],
        summary:
          "Decide about a shop (admins only): approve or reject a pending one, suspend an active one, reinstate a suspended one; one decision per change",
        params: z.strictObject({
          id: idParams.shape.id,
          decision: z.enum(Object.keys(STORE_DECISIONS) as [StoreDecision, ...StoreDecision[]]),
        }),
        response: { 200: storeSchema, ...errorResponses },
      },
    },
    async (req) => unwrap(await catalog.decideStore(userOf(req).id, req.params.id, req.params.decision)),
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

  app.post(
    "/api/offers/:id/repost",
    {
      schema: {
        tags: ["offers"],
        summary: "Post an offer again: a copy with the next pickup window and last time's stock",
        params: idParams,
        body: repostOfferBody.nullish(),
        response: { 201: offerSchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(unwrap(await catalog.repostOffer(userOf(req).id, req.params.id, req.body ?? {}))),
  );
  app.post(
    "/api/offers/:id/share",
    {
      schema: {
        tags: ["offers"],
        summary: "Prepare a message sharing the offer, for the Mini App's shareMessage (Bot API 8.0)",
        description:
          "Asks Telegram (savePreparedInlineMessage) to keep a message for the caller: the offer's photo or an article with its shop, price and pickup window, in the caller's language, and a button opening the offer in the Mini App (t.me/<bot>?startapp=offer_<id>). Only offers on sale (409 offer_unavailable otherwise). Telegram refusing: 502 telegram_error; Telegram unreachable or not configured: 503 service_unavailable.",
        params: idParams,
        body: z.strictObject({}).nullish(),
        response: {
          200: preparedShareSchema,
          ...errorResponses,
          502: errorResponses[400],
          503: errorResponses[400],
        },
      },
    },
    async (req) => {
      const user = userOf(req);
      const r = await shares.prepare(user.id, pickLang(user.language), req.params.id);
      if (!r.ok && (r.code === "telegram_error" || r.code === "service_unavailable"))
        req.log.warn({ offer: req.params.id, code: r.code, detail: r.detail }, "could not prepare a share");
      return unwrap(r);
    },
  );
  app.put(
    "/api/offers/:id/photo",
    {
      bodyLimit: PHOTO_MAX_BYTES,
      schema: {
        tags: ["offers"],
        summary:
          "Upload the offer's photo: the image itself (image/jpeg, image/png or image/webp, at most 10 MB)",
        description:
          "Resized on the server to webp copies stored in the database; `photo_url` then serves the large one from this server with a year-long immutable cache.",
        params: idParams,
        response: { 200: offerSchema, ...errorResponses, 413: errorResponses[400], 415: errorResponses[400] },
      },
    },
    async (req) => {
      if (!Buffer.isBuffer(req.body))
        throw new ProblemError(
          "unsupported_media_type",
          "send the image itself as image/jpeg, image/png or image/webp",
        );
      return unwrap(await catalog.setOfferPhoto(userOf(req).id, req.params.id, req.body));
    },
  );
  app.get(
    "/photos/:id/:file",
    {
      schema: {
        tags: ["offers"],
        summary: "An offer photo (webp; `.jpg` for JPEG); never changes, so cached for a year",
        params: z.strictObject({
          id: idParams.shape.id,
          file: z.enum(
            Object.keys(PHOTO_SIZES).flatMap((s) => [`${s}.webp`, `${s}.jpg`]) as [string, ...string[]],
          ),
        }),
      },
    },
    async (req, reply) => {
      const [size, format] = req.params.file.split(".") as [PhotoSize, "webp" | "jpg"];
      const bytes = unwrap(await catalog.photo(req.params.id, size));
      reply.header("cache-control", "public, max-age=31536000, immutable");
      // JPEG for Telegram's shared-offer photos, which take nothing else.
      if (format === "jpg")
        return reply.type("image/jpeg").send(await jpegs.get(`${req.params.id}/${req.params.file}`, bytes));
      return reply.type("image/webp").send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );
}
