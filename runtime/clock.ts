/** Milliseconds on a monotonic clock; tests substitute a manual one. */
export interface Clock {
  now(): number;
}

export const monotonicClock: Clock = { now: () => performance.now() };
