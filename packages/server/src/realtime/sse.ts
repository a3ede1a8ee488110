/** Server-sent events wire format (https://html.spec.whatwg.org/multipage/server-sent-events.html). */

/** One event frame. `data` must be a single line (JSON.stringify output is). */
export function sseFrame(id: number, event: string, data: string): string {
  return `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;
}

/** A comment line: ignored by clients, but keeps proxies and NATs from closing an idle stream. */
export const SSE_HEARTBEAT = ":\n\n";

/**
 * The event id a reconnecting client last saw: the `Last-Event-ID` header (EventSource sets it),
 * else `?last_event_id=` (for clients that cannot set headers). Anything but a plain non-negative
 * integer counts as absent: the stream then starts from now.
 */
export function lastEventIdOf(header: unknown, query: unknown): number | null {
  for (const raw of [header, query]) {
    const v = Array.isArray(raw) ? raw[0] : raw;
    if (typeof v === "string" && /^\d{1,15}$/.test(v.trim())) return Number(v.trim());
  }
  return null;
}
