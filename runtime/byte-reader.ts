import type { Duplex } from 'node:stream';

export class ReadError extends Error {
  constructor(
    readonly reason: 'closed' | 'timeout' | 'too-large',
    message: string,
  ) {
    super(message);
    this.name = 'ReadError';
  }
}

/**
 * Reads exact byte counts from a stream that is still being set up (the link stage), without
 * losing what arrives past them: `release` stops reading and returns the surplus, which goes
 * with the connection to whoever takes it over.
 */
export class ByteReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private waiter: (() => void) | null = null;
  private ended = false;

  private readonly onData = (chunk: Buffer): void => {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // Nobody reads more than a link message ahead; a peer pushing more waits on TCP.
    if (this.buffered > 64 * 1024) this.stream.pause();
    this.wake();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake();
  };

  constructor(private readonly stream: Duplex) {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Exactly `n` bytes, or a ReadError when the peer closes or `deadline` (ms since epoch) passes. */
  async read(n: number, deadline: number): Promise<Buffer> {
    while (this.buffered < n) {
      if (this.ended) throw new ReadError('closed', `peer closed after ${this.buffered} of ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new ReadError('timeout', `timed out waiting for ${n} bytes`);
      this.stream.resume();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks.length = 0;
    if (rest.length) this.chunks.push(rest);
    this.buffered = rest.length;
    return out;
  }

  /**
   * Stops reading; returns what arrived beyond the last `read`, including what the stream had
   * already taken from the socket but not yet emitted. With `detach` (the socket's fd moves to
   * another thread) the handle stops reading from the kernel too, so nothing more is taken here;
   * without it the stream stays usable on this thread (a TLS connection is relayed from it).
   */
  release(detach = false): Buffer {
    this.stream.pause();
    // pause() only stops 'data' events; libuv would keep reading into the stream's buffer.
    // net.Socket restarts reading only if its handle says it is not reading, so say so.
    const handle = (this.stream as { _handle?: { readStop?(): number; reading?: boolean } })._handle;
    if (detach && handle?.readStop) {
      handle.readStop();
      handle.reading = false;
    }
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    for (let c: Buffer | null; (c = this.stream.read() as Buffer | null) !== null; ) this.chunks.push(c);
    const rest = Buffer.concat(this.chunks);
    this.chunks.length = 0;
    this.buffered = 0;
    return rest;
  }
}
