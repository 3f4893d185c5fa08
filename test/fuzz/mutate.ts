const interesting = [0, 1, 0x7f, 0x80, 0xff];
const interesting32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 4096, 4097, 65536];

/** One to four mutations of `seed`: bit flips, interesting bytes and u32s, cuts, growth, splices. */
export function mutate(seed: Uint8Array, rand: () => number): Uint8Array {
  let out = Uint8Array.from(seed);
  const n = 1 + Math.floor(rand() * 4);
  const at = (len: number) => Math.floor(rand() * Math.max(1, len));
  for (let i = 0; i < n; i++) {
    switch (Math.floor(rand() * 7)) {
      case 0:
        if (out.length) out[at(out.length)]! ^= 1 << Math.floor(rand() * 8);
        break;
      case 1:
        if (out.length) out[at(out.length)] = interesting[at(interesting.length)]!;
        break;
      case 2:
        if (out.length >= 4) new DataView(out.buffer).setUint32(at(out.length - 3), interesting32[at(interesting32.length)]!, true);
        break;
      case 3:
        out = out.slice(0, at(out.length + 1));
        break;
      case 4: {
        const extra = Uint8Array.from({ length: 1 + at(64) }, () => at(256));
        const p = at(out.length + 1);
        out = Uint8Array.from([...out.subarray(0, p), ...extra, ...out.subarray(p)]);
        break;
      }
      case 5:
        if (out.length) out[at(out.length)] = at(256);
        break;
      case 6: {
        // Repeat a slice: lengths and counts that disagree with what follows.
        const a = at(out.length);
        const b = a + at(out.length - a + 1);
        out = Uint8Array.from([...out, ...out.subarray(a, b)]);
        break;
      }
    }
  }
  return out;
}
