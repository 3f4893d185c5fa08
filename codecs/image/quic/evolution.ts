/** quic.c DEFwmimax: the wait mask grows to 2^6 - 1 and stays there. */
const WAIT_MASK_MAX_INDEX = 6;
/** quic.c DEFwminext: pixels coded at each wait-mask index before it grows. */
export const PIXELS_PER_WAIT_MASK = 2048;

/**
 * Low bytes of quic.c's tabrand_chaos table, the pseudo-random gaps between model updates.
 * Only bits under the wait mask (at most 6) are ever used.
 */
const CHAOS = Uint8Array.from(
  (
    '421753550752288e8ce0afac6486924b4413ea1d507fb933d003054e0f9e9489' +
    'a46d43f9bd00084529ce6b5babbb1fe3277c2aa64d367ec11ac30b3d74a2c7f0' +
    '043b160c9688b2848a462cc88beedf737511012b6e3ce4760a9b676c56e957c2' +
    'ec4068b5a8b090eb605ce14c540278be77fa12140d37269d79d331216fbffb80' +
    '23fd93192e66fcc463419ae89cca850ed9d270f1d47b3ee2ae87a134227ac95d' +
    '48f7febca524e572c6834a1c30985a7d391ecbb6820632ef4791a33520ccd7d1' +
    'c51571b7b32db41be799a7ffd6d8aaf438e669a9b8a0cd58daf3dbf83a65186a' +
    '8fdc515e5fcf109759f6616281dd9ff2f595b14f2f49c0ba25adde8d09ed3fd5'
  ).match(/../g)!,
  (hex) => parseInt(hex, 16),
);

/** Counter-halving thresholds per wait-mask index for DEFevol 3 (quic.c besttrigtab[1]). */
const TRIGGERS = [110, 550, 900, 800, 550, 400, 350, 250, 140, 160, 140] as const;

/**
 * When the models learn (quic.c CommonState minus the run coder): the bucket models are updated
 * only at pixels picked by pseudo-random gaps under a wait mask, which widens from 0 to 63 as
 * the image goes on (every 2048 pixels of a group, one more bit).
 */
export class Evolution {
  /** Pixels still to pass before the next model update. */
  waitCount = 0;
  /** Pixels left at the current wait-mask index. */
  pixelsLeft = PIXELS_PER_WAIT_MASK;
  waitMask = 0;
  trigger: number = TRIGGERS[0];
  private maskIndex = 0;
  private seed = 0xff;

  /** The next random gap, cut to the wait mask (quic.c tabrand(...) & waitmask). */
  nextGap(): number {
    this.seed = (this.seed + 1) & 0xff;
    return CHAOS[this.seed]! & this.waitMask;
  }

  /** True while the mask still grows, i.e. `pixelsLeft` counts down. */
  get growing(): boolean {
    return this.maskIndex < WAIT_MASK_MAX_INDEX;
  }

  widen(): void {
    this.maskIndex++;
    this.waitMask = 2 ** this.maskIndex - 1;
    this.trigger = TRIGGERS[Math.min(this.maskIndex, TRIGGERS.length - 1)]!;
    this.pixelsLeft = PIXELS_PER_WAIT_MASK;
  }
}
