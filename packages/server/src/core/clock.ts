/**
 * The time every rule compares with (deadlines, pickup windows, due jobs). Passed into SQL as a
 * parameter instead of the database's `now()`, so tests move time with a {@link FakeClock} and run
 * instantly; the server uses {@link systemClock}.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until told to move: for tests. */
export class FakeClock implements Clock {
  private ms: number;

  constructor(start: Date | number = Date.now()) {
    this.ms = typeof start === "number" ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  /** Moves the clock forward by `ms` milliseconds (or seconds with `{ s }`). */
  advance(by: number | { s: number }): Date {
    this.ms += typeof by === "number" ? by : by.s * 1000;
    return this.now();
  }

  set(at: Date | number): void {
    this.ms = typeof at === "number" ? at : at.getTime();
  }
}
