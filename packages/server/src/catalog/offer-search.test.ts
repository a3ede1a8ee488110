import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reachBox } from "./offer-search.ts";

const R = 6_371_000;
const rad = (d: number) => (d * Math.PI) / 180;
const deg = (r: number) => (r * 180) / Math.PI;

/** The point `metres` from `p` on bearing `bearing` (radians), on the same sphere as the SQL. */
function destination(p: { lat: number; lng: number }, metres: number, bearing: number) {
  const d = metres / R;
  const φ1 = rad(p.lat);
  const φ2 = Math.asin(Math.sin(φ1) * Math.cos(d) + Math.cos(φ1) * Math.sin(d) * Math.cos(bearing));
  const λ2 =
    rad(p.lng) +
    Math.atan2(Math.sin(bearing) * Math.sin(d) * Math.cos(φ1), Math.cos(d) - Math.sin(φ1) * Math.sin(φ2));
  return { lat: deg(φ2), lng: deg(λ2) };
}

describe("reachBox", () => {
  it("holds every point within its distance, wherever the point and however far", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -85, max: 85, noNaN: true }),
        fc.double({ min: -179.9, max: 179.9, noNaN: true }),
        fc.integer({ min: 1, max: 500_000 }),
        (lat, lng, metres) => {
          const box = reachBox({ lat, lng }, metres);
          if (!box) return;
          // The circle's edge all the way round (its widest points are off due east and west).
          for (let k = 0; k < 1440; k++) {
            const q = destination({ lat, lng }, metres, (k / 1440) * 2 * Math.PI);
            expect(q.lat).toBeGreaterThanOrEqual(box.lat_min);
            expect(q.lat).toBeLessThanOrEqual(box.lat_max);
            expect(q.lng).toBeGreaterThanOrEqual(box.lng_min);
            expect(q.lng).toBeLessThanOrEqual(box.lng_max);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("gives up near a pole and across the 180th meridian, where a box would not hold the circle", () => {
    expect(reachBox({ lat: 88.99, lng: 0 }, 5_000)).toBeNull();
    expect(reachBox({ lat: 10, lng: 179.99 }, 5_000)).toBeNull();
    expect(reachBox({ lat: 41.3, lng: 69.2 }, 1e15)).toBeNull();
    expect(reachBox({ lat: 41.3, lng: 69.2 }, 5_000)).toMatchObject({ reach: 5_000 });
  });
});
