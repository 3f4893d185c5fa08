/**
 * A QUIC stream written out by hand: `bits` ('0'/'1', spaces ignored) packed MSB first into
 * 32-bit words stored little-endian, the last word padded with zeros, then one zero word, as
 * quic.c's encoder leaves a stream. For reader tests, which have no TypeScript writer to use.
 */
export function streamOf(bits: string): Uint8Array {
  const clean = bits.replace(/ /g, '');
  const words = new Uint32Array(Math.ceil(clean.length / 32) + 1);
  for (let i = 0; i < clean.length; i += 32) words[i / 32] = parseInt(clean.slice(i, i + 32).padEnd(32, '0'), 2);
  return new Uint8Array(words.buffer);
}

/** `value` as `len` bits, most significant first. */
export const bitsOf = (value: number, len: number): string => (len ? value.toString(2).padStart(len, '0') : '');
