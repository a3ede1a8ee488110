/** A failure to inject into upcoming API calls. */
export type Fault =
  | { status: 429; retryAfter?: number }
  | { status: 500 }
  | { status: 502 }
  | { status: number; description: string }
  | { networkError: true };

/** Which calls a fault applies to: by default every method except `getUpdates`. */
export interface FaultFilter {
  method?: string | string[];
}

interface FaultRule {
  fault: Fault;
  methods?: Set<string>;
  remaining?: number;
  until?: number;
}

/** The faults waiting to hit calls, used up in the order they were added. */
export class Faults {
  private rules: FaultRule[] = [];

  failNext(n: number, fault: Fault & FaultFilter): void {
    this.rules.push({ fault: stripFilter(fault), remaining: n, ...methodSet(fault) });
  }

  failFor(ms: number, fault: Fault & FaultFilter): void {
    this.rules.push({ fault: stripFilter(fault), until: Date.now() + ms, ...methodSet(fault) });
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for a call of `method` (lower-cased), counting it against its rule. */
  take(method: string): Fault | undefined {
    const now = Date.now();
    this.rules = this.rules.filter(
      (f) => (f.remaining === undefined || f.remaining > 0) && (f.until ?? now + 1) > now,
    );
    for (const rule of this.rules) {
      // unfiltered faults skip getUpdates so that a polling bot does not swallow them
      const applies = rule.methods ? rule.methods.has(method) : method !== "getupdates";
      if (!applies) continue;
      if (rule.remaining !== undefined) rule.remaining -= 1;
      return rule.fault;
    }
    return undefined;
  }
}

/** What Telegram's nginx front answers when the Bot API behind it is down. */
export const BAD_GATEWAY_HTML =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n";

/** The JSON error envelope of an injected fault; 429 carries `retry_after` like Telegram's flood control. */
export function faultPayload(fault: Exclude<Fault, { networkError: true }>): {
  ok: false;
  error_code: number;
  description: string;
  parameters?: { retry_after: number };
} {
  if (fault.status === 429) {
    const retryAfter = "retryAfter" in fault && fault.retryAfter !== undefined ? fault.retryAfter : 1;
    return {
      ok: false,
      error_code: 429,
      description: `Too Many Requests: retry after ${retryAfter}`,
      parameters: { retry_after: retryAfter },
    };
  }
  if ("description" in fault) return { ok: false, error_code: fault.status, description: fault.description };
  return { ok: false, error_code: fault.status, description: "Internal Server Error" };
}

function stripFilter(fault: Fault & FaultFilter): Fault {
  const { method: _m, ...rest } = fault;
  return rest as Fault;
}

function methodSet(filter: FaultFilter): { methods?: Set<string> } {
  if (filter.method === undefined) return {};
  const list = Array.isArray(filter.method) ? filter.method : [filter.method];
  return { methods: new Set(list.map((m) => m.toLowerCase())) };
}
