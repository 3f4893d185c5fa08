/**
 * SPICE multi-media time: milliseconds on a clock every thread of the process shares (wall
 * clock based, unlike performance.now(), whose origin is each worker's start), as a u32.
 */
export const mmTimeNow = (): number => Math.floor(performance.timeOrigin + performance.now()) >>> 0;

/** spice-server 0.15's MM_TIME_DELTA: clients run this far behind, so stream frames arrive early, not late. */
export const mmTimeDeltaMs = 400;
