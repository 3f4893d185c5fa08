/**
 * A connected AF_UNIX stream socket that carries fds both ways (SCM_RIGHTS), which Node's net
 * module cannot do. Reading: the native Poller says when the socket is readable and recvmsg
 * reads straight into the buffer the sink offers (the message being assembled), with any fds.
 * Writing: a net.Socket over the same fd that never reads, so libuv queues and paces the bytes;
 * a message with fds goes through sendmsg once everything before it is out, to keep the order.
 */
import net from 'node:net';
import { close, dup, Poller, recvFds, sendFds, type Fd } from '../../../../native/index.js';

/** Where a transport puts what it reads. */
export interface ByteSink {
  /** The buffer the next read goes into (at least one byte). */
  space(): Uint8Array;
  /** `n` bytes were read into space(), with these fds (the sink owns them). */
  filled(n: number, fds: readonly Fd[]): void;
  /** The stream ended: the peer closed (no error), a socket error, or close() here. */
  ended(error?: Error): void;
}

interface Queued {
  readonly bytes: Uint8Array;
  readonly fds: readonly Fd[];
}

/** How long to wait before retrying a sendmsg that found the socket full (no writable event here). */
const FULL_RETRY_MS = 2;
const READS_PER_WAKEUP = 32;

export class UnixTransport {
  private readonly readFd: Fd;
  private poller: Poller | undefined;
  private sink: ByteSink | undefined;
  private readonly queue: Queued[] = [];
  private waiting = false;
  private closed = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly fd: Fd,
  ) {
    // Our own duplicate for reads, so that the socket closing its fd never leaves us a stale number.
    this.readFd = dup(fd);
    socket.on('error', (e) => this.end(e));
    socket.on('drain', () => this.flush());
  }

  /** Adopts a connected socket fd (a socketpair end, or one passed to us); the transport owns it. */
  static fromFd(fd: Fd): UnixTransport {
    return new UnixTransport(new net.Socket({ fd, readable: false, writable: true }), fd);
  }

  /** Connects to a unix socket path (a leading NUL: the abstract namespace). */
  static connect(path: string): Promise<UnixTransport> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ path });
      // Paused before it connects, Node never starts reading: every byte is left to recvmsg.
      socket.pause();
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new UnixTransport(socket, socketFd(socket)));
      });
    });
  }

  /** Starts reading into `sink` until the stream ends. */
  start(sink: ByteSink): void {
    this.sink = sink;
    this.poller = new Poller(this.readFd, 'readable', (error) => {
      this.drainReadable();
      // libuv reports POLLERR (a reset peer) as an error: reading first tells EOF or the real errno.
      if (error) this.end(error);
    });
    this.poller.start();
  }

  /** Sends `bytes` with `fds` attached, after whatever was written before. The fds must stay open until sent. */
  write(bytes: Uint8Array, fds: readonly Fd[] = []): void {
    if (this.closed) return;
    if (fds.length === 0 && this.queue.length === 0) {
      this.socket.write(bytes);
      return;
    }
    this.queue.push({ bytes, fds });
    this.flush();
  }

  /** Closes after the bytes already written are out; reading stops at once. */
  close(): void {
    this.end(undefined, true);
  }

  private drainReadable(): void {
    // A bounded number of reads per wake-up: the poller is level-triggered and calls again at
    // once if more is there, so a fast sender cannot starve the rest of the event loop.
    for (let reads = 0; reads < READS_PER_WAKEUP && !this.closed; reads++) {
      const space = this.sink!.space();
      let got;
      try {
        got = recvFds(this.readFd, space);
      } catch (e) {
        return this.end(e as Error);
      }
      if (got === null) return;
      if (got.bytes === 0) {
        got.fds.forEach(close);
        return this.end();
      }
      this.sink!.filled(got.bytes, got.fds);
      // Less than there was room for: the socket held no more (the poller calls again when it
      // does), so no read that would only say so. An idle update is one read, not two.
      if (got.bytes < space.length) return;
    }
  }

  private flush(): void {
    while (!this.closed && !this.waiting && this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.fds.length === 0) {
        this.queue.shift();
        this.socket.write(next.bytes);
        continue;
      }
      // Everything before must be on the wire first; 'drain' calls flush again.
      if (this.socket.writableLength > 0) return;
      let sent: number;
      try {
        sent = sendFds(this.fd, next.bytes, next.fds);
      } catch (e) {
        return this.end(e as Error);
      }
      if (sent === 0) {
        this.waiting = true;
        setTimeout(() => {
          this.waiting = false;
          this.flush();
        }, FULL_RETRY_MS);
        return;
      }
      this.queue.shift();
      // The fds went with the first byte; the rest is plain bytes.
      if (sent < next.bytes.length) this.queue.unshift({ bytes: next.bytes.subarray(sent), fds: [] });
    }
  }

  private end(error?: Error, gracefully = false): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.poller?.close();
    close(this.readFd);
    if (gracefully) this.socket.end(() => this.socket.destroy());
    else this.socket.destroy();
    this.sink?.ended(error);
  }
}

/** The fd under a connected net.Socket (libuv's handle; Node has no public accessor). */
function socketFd(socket: net.Socket): Fd {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('unix socket without an fd');
  return fd as Fd;
}
