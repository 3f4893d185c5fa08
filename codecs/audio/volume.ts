/** QEMU's volumes are 0..255 a channel, SPICE's 0..65535: scaled as QEMU's own spice audio does (x 257). */
export const spiceVolume = (qemu: readonly number[]): number[] => qemu.map((x) => Math.min(255, Math.max(0, x)) * 257);
