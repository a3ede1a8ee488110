import { orderSchema } from "@lastbite/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ApiError, api } from "./api.ts";

const respond = (status: number, body: string, type = "application/json") =>
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response(body, { status, headers: { "content-type": type } })),
  );

afterEach(() => {
  vi.unstubAllGlobals();
});

const list = z.object({ orders: z.array(orderSchema) });

describe("api()", () => {
  it("returns the parsed answer, dropping fields the schema does not know", async () => {
    respond(200, JSON.stringify({ orders: [], next_cursor: null }));
    await expect(api(list, "GET", "/orders?filter=active")).resolves.toEqual({ orders: [] });
  });

  it("turns an answer that breaks the contract into an ApiError naming the field", async () => {
    respond(200, JSON.stringify({ orders: [{ id: "7" }] }));
    const err = await api(list, "GET", "/orders").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("invalid_response");
    expect((err as ApiError).message).toContain("orders.0.id");
  });

  it("turns a body that is not JSON into an ApiError", async () => {
    respond(200, "<html>hi</html>", "text/html");
    await expect(api(list, "GET", "/orders")).rejects.toMatchObject({ code: "invalid_response" });
  });

  it("reads problem+json into code, detail and field errors", async () => {
    respond(
      400,
      JSON.stringify({
        type: "about:blank",
        title: "Bad Request",
        status: 400,
        code: "invalid_request",
        detail: "delivery_address: required for delivery",
        errors: [{ path: "delivery_address", message: "required for delivery" }],
      }),
      "application/problem+json",
    );
    const err = (await api(list, "POST", "/orders", {}).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_request");
    expect(err.errors).toEqual([{ path: "delivery_address", message: "required for delivery" }]);
  });

  it("falls back to the status when an error body is not a problem (a proxy's 502 page)", async () => {
    respond(502, "<html>Bad gateway</html>", "text/html");
    await expect(api(list, "GET", "/orders")).rejects.toMatchObject({ status: 502, code: "internal_error" });
  });

  it("reports an unreachable server as a network error", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => {
        throw new TypeError("Failed to fetch");
      }),
    );
    await expect(api(list, "GET", "/orders")).rejects.toMatchObject({ status: 0, code: "network" });
  });
});
