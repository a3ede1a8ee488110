import { isNative, on, postEvent, supports } from "./bridge.ts";

export interface LatLng {
  lat: number;
  lng: number;
}
export type Located = { ok: true; at: LatLng } | { ok: false; reason: "denied" | "unavailable" };

/**
 * Where the user is: Telegram's location (Bot API 8.0 LocationManager, asked over the Mini Apps
 * protocol) where the client has it, else the browser's geolocation, else nothing. A refusal is
 * an answer, not an error: the catalogue simply shows no distances.
 */
export async function locateMe(timeoutMs = 10_000): Promise<Located> {
  if (isNative() && supports("8.0")) {
    const answer = await new Promise<Record<string, unknown> | null>((resolve) => {
      const timer = window.setTimeout(() => {
        off();
        resolve(null);
      }, timeoutMs);
      const off = on("location_requested", (d) => {
        window.clearTimeout(timer);
        off();
        resolve(d);
      });
      postEvent("web_app_request_location");
    });
    if (
      answer &&
      answer.available === true &&
      typeof answer.latitude === "number" &&
      typeof answer.longitude === "number"
    )
      return { ok: true, at: { lat: answer.latitude, lng: answer.longitude } };
    if (answer) return { ok: false, reason: "denied" };
    // No answer from an old or odd client: try the browser's.
  }
  if (!("geolocation" in navigator)) return { ok: false, reason: "unavailable" };
  return new Promise((resolve) =>
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ ok: true, at: { lat: p.coords.latitude, lng: p.coords.longitude } }),
      (e) => resolve({ ok: false, reason: e.code === e.PERMISSION_DENIED ? "denied" : "unavailable" }),
      { timeout: timeoutMs, maximumAge: 5 * 60_000 },
    ),
  );
}

/** A maps link that opens the shop in the phone's maps app (no tiles of our own). */
export function directionsUrl(to: LatLng): string {
  const q = `${to.lat.toFixed(6)},${to.lng.toFixed(6)}`;
  return `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(q)}`;
}
