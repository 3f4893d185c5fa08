/**
 * The newest of a connection's tracked messages written to its socket, and its serial, in
 * shared memory: the display channel writes it as it sends, its red-worker reads it when it
 * needs serials (no message, no wake-up). A serial read stands for the messages tracked before
 * that one too: they went before it.
 */
export class SentCell {
  private readonly cell: BigInt64Array;

  static create(): SharedArrayBuffer {
    return new SharedArrayBuffer(16);
  }

  constructor(readonly memory: SharedArrayBuffer) {
    this.cell = new BigInt64Array(memory, 0, 2);
  }

  /** Message `track` went as `serial`. The serial first: a reader that sees the track sees its serial or a later one. */
  write(track: number, serial: bigint): void {
    Atomics.store(this.cell, 1, serial);
    Atomics.store(this.cell, 0, BigInt(track));
  }

  /** The newest track sent (0: none yet) and a serial at least its own. */
  read(): { readonly track: number; readonly serial: number } {
    const track = Number(Atomics.load(this.cell, 0));
    return { track, serial: Number(Atomics.load(this.cell, 1)) };
  }
}
