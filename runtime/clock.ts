/** Milliseconds on a monotonic clock; tests substitute a manual one. */
export interface Clock {
  now(): number;
}

export const monotonicClock: Clock = { now: () => performance.now() };

/**
 * Milliseconds every thread of the process reads alike (performance.now() starts at each
 * worker's own start): for state shared across threads, such as a link budget or media time.
 */
export const processClock: Clock = { now: () => performance.timeOrigin + performance.now() };
