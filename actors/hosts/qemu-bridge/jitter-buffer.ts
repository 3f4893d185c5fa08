/**
 * The record PCM waiting for QEMU's Read: a byte ring of fixed capacity. Reads are answered at
 * once with what is there, padded with silence to the size asked; once dry, reading waits for
 * `prefill` bytes again, so that a client's packets arriving in bursts do not make a read of
 * silence every other call. When full, the oldest audio goes: the client is ahead, and late
 * audio is worth less than current audio.
 */
export class JitterBuffer {
  private readonly ring: Uint8Array;
  private start = 0;
  private length = 0;
  private primed = false;
  /** Bytes of silence answered, and bytes dropped because the ring was full. */
  silence = 0;
  dropped = 0;

  constructor(
    capacity: number,
    private readonly prefill: number,
    /** Whole frames only: a frame is never split by a drop. */
    private readonly frameBytes: number,
  ) {
    this.ring = new Uint8Array(capacity - (capacity % frameBytes));
  }

  get buffered(): number {
    return this.length;
  }

  push(pcm: Uint8Array): void {
    let data = pcm.subarray(0, pcm.length - (pcm.length % this.frameBytes));
    if (data.length > this.ring.length) {
      this.dropped += data.length - this.ring.length;
      data = data.subarray(data.length - this.ring.length);
    }
    const over = this.length + data.length - this.ring.length;
    if (over > 0) {
      this.dropped += over;
      this.start = (this.start + over) % this.ring.length;
      this.length -= over;
    }
    const at = (this.start + this.length) % this.ring.length;
    const first = Math.min(data.length, this.ring.length - at);
    this.ring.set(data.subarray(0, first), at);
    this.ring.set(data.subarray(first), 0);
    this.length += data.length;
    if (this.length >= this.prefill) this.primed = true;
  }

  /** `size` bytes (whole frames): what is buffered, then silence. */
  read(size: number): Uint8Array {
    const want = size - (size % this.frameBytes);
    const out = new Uint8Array(want);
    const take = this.primed ? Math.min(want, this.length) : 0;
    const first = Math.min(take, this.ring.length - this.start);
    out.set(this.ring.subarray(this.start, this.start + first), 0);
    out.set(this.ring.subarray(0, take - first), first);
    this.start = (this.start + take) % this.ring.length;
    this.length -= take;
    this.silence += want - take;
    if (this.length === 0) this.primed = false;
    return out;
  }

  clear(): void {
    this.start = 0;
    this.length = 0;
    this.primed = false;
  }
}
