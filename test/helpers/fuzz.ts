/**
 * Seeded mutations of a valid encoded stream, for decoder fuzzing: bit flips, byte writes
 * (biased to 0, 255 and small values, which decoders treat specially), inserted, deleted and
 * duplicated runs, and truncation. The same seed gives the same mutants.
 */
export function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  let bytes = Array.from(input);
  const pick = (n: number) => Math.floor(rnd() * n);
  const interesting = [0, 1, 31, 32, 0x7f, 0x80, 0xe0, 0xff];
  const edits = 1 + pick(4);
  for (let e = 0; e < edits; e++) {
    const at = pick(bytes.length + 1);
    switch (pick(6)) {
      case 0:
        if (bytes.length) bytes[at % bytes.length]! ^= 1 << pick(8);
        break;
      case 1:
        if (bytes.length) bytes[at % bytes.length] = rnd() < 0.5 ? interesting[pick(interesting.length)]! : pick(256);
        break;
      case 2:
        bytes.splice(at, 0, ...Array.from({ length: 1 + pick(8) }, () => pick(256)));
        break;
      case 3:
        bytes.splice(at, 1 + pick(8));
        break;
      case 4: {
        const len = 1 + pick(32);
        bytes.splice(at, 0, ...bytes.slice(Math.max(0, at - len), at));
        break;
      }
      default:
        bytes = bytes.slice(0, at);
    }
  }
  return Uint8Array.from(bytes);
}
