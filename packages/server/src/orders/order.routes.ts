import {
  createOrderBody,
  errorResponses,
  orderListQuery,
  orderListSchema,
  orderSchema,
  ratingBody,
  reasonBody,
  SELLER_ACTIONS,
  sellerOrderListQuery,
  sellerStatsQuery,
  sellerStatsSchema,
  verifyCodeBody,
} from "@lastbite/shared";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { unwrap } from "../http/problem.ts";
import { idParams, userOf } from "../http/route-helpers.ts";
import type { Services } from "../services.ts";
import { publicOrder } from "./order.repository.ts";

const idempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, "printable ASCII only")
    .optional(),
});

export async function orderRoutes(root: FastifyInstance, { services }: { services: Services }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { orders } = services;

  app.post(
    "/api/orders",
    {
      schema: {
        tags: ["orders"],
        summary: "Place an order; stock is taken atomically",
        body: createOrderBody,
        headers: idempotencyHeaders,
        response: { 201: orderSchema, ...errorResponses },
      },
      config: { rateLimit: { max: services.config.rateLimit.ordersPerMinute, timeWindow: 60_000 } },
    },
    async (req, reply) => {
      const { order, replayed } = unwrap(
        await orders.create(userOf(req).id, req.body, req.headers["idempotency-key"]),
      );
      if (replayed) reply.header("idempotent-replayed", "true");
      return reply.status(201).send(publicOrder(order));
    },
  );
  app.get(
    "/api/orders",
    {
      schema: {
        tags: ["orders"],
        querystring: orderListQuery,
        response: { 200: orderListSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { filter, ...page } = req.query;
      const p = unwrap(await orders.listForBuyer(userOf(req).id, filter, page));
      return { orders: p.orders.map(publicOrder), next_cursor: p.next_cursor };
    },
  );
  app.get(
    "/api/orders/:id",
    { schema: { tags: ["orders"], params: idParams, response: { 200: orderSchema, ...errorResponses } } },
    async (req) => publicOrder(unwrap(await orders.forBuyer(userOf(req).id, req.params.id))),
  );
  app.post(
    "/api/orders/:id/cancel",
    {
      schema: {
        tags: ["orders"],
        params: idParams,
        body: reasonBody.nullish(),
        response: { 200: orderSchema, ...errorResponses },
      },
    },
    async (req) => {
      const user = userOf(req);
      return publicOrder(
        unwrap(
          await orders.act(
            { type: "buyer", id: user.id },
            "buyer",
            req.params.id,
            "cancel",
            req.body?.reason,
          ),
        ),
      );
    },
  );
  app.post(
    "/api/orders/:id/rating",
    {
      schema: {
        tags: ["orders"],
        params: idParams,
        body: ratingBody,
        response: { 201: orderSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const order = unwrap(
        await orders.rate(userOf(req).id, req.params.id, req.body.stars, req.body.comment),
      );
      return reply.status(201).send(publicOrder(order));
    },
  );

  app.get(
    "/api/seller/orders",
    {
      schema: {
        tags: ["seller"],
        querystring: sellerOrderListQuery,
        response: { 200: orderListSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { filter, ...page } = req.query;
      const p = unwrap(await orders.listForSeller(userOf(req).id, filter, page));
      return { orders: p.orders.map(publicOrder), next_cursor: p.next_cursor };
    },
  );
  app.get(
    "/api/seller/orders/:id",
    { schema: { tags: ["seller"], params: idParams, response: { 200: orderSchema, ...errorResponses } } },
    async (req) => publicOrder(unwrap(await orders.forSeller(userOf(req).id, req.params.id))),
  );
  app.post(
    "/api/seller/orders/verify",
    { schema: { tags: ["seller"], body: verifyCodeBody, response: { 200: orderSchema, ...errorResponses } } },
    async (req) => publicOrder(unwrap(await orders.verifyCode(userOf(req).id, req.body.code))),
  );
  app.post(
    "/api/seller/orders/:id/:action",
    {
      schema: {
        tags: ["seller"],
        params: z.strictObject({ id: idParams.shape.id, action: z.enum(SELLER_ACTIONS) }),
        body: reasonBody.nullish(),
        response: { 200: orderSchema, ...errorResponses },
      },
    },
    async (req) => {
      const user = userOf(req);
      return publicOrder(
        unwrap(
          await orders.act(
            { type: "seller", id: user.id },
            "seller",
            req.params.id,
            req.params.action,
            req.body?.reason,
            req.body?.reason_code,
          ),
        ),
      );
    },
  );

  app.get(
    "/api/seller/stats",
    {
      schema: {
        tags: ["seller"],
        summary: "A shop's figures per day over the last `days` days (its time zone), with totals and rating",
        querystring: sellerStatsQuery,
        response: { 200: sellerStatsSchema, ...errorResponses },
      },
    },
    async (req) => unwrap(await orders.sellerStats(userOf(req).id, req.query.store_id, req.query.days)),
  );
}
