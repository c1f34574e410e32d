/** A source of the current time in epoch milliseconds; injectable so tests can freeze time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to (tests). */
export class FakeClock implements Clock {
  constructor(private t = Date.UTC(2026, 10, 28, 12, 0, 0)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
