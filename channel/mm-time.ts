import { processClock } from '../runtime/clock.js';

/**
 * SPICE multi-media time: milliseconds on the clock every thread of the process shares, as a u32.
 */
export const mmTimeNow = (): number => Math.floor(processClock.now()) >>> 0;

/** spice-server 0.15's MM_TIME_DELTA: clients run this far behind, so stream frames arrive early, not late. */
export const mmTimeDeltaMs = 400;
