import { describe, expect, it } from "vitest";
import { helmetHeaders } from "./security-headers.ts";

describe("helmetHeaders", () => {
  it("records what helmet would set, once", () => {
    const h = helmetHeaders({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'self'"], frameAncestors: ["https://web.telegram.org"] },
      },
      frameguard: false,
      referrerPolicy: { policy: "strict-origin-when-cross-origin" },
    });
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(h["content-security-policy"]).toBe("default-src 'self';frame-ancestors https://web.telegram.org");
    expect(h["x-frame-options"]).toBeUndefined();
    expect(h["x-powered-by"]).toBeUndefined();
  });

  it("refuses options helmet refuses", () => {
    expect(() =>
      helmetHeaders({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["self"] } } }),
    ).toThrow();
  });
});
