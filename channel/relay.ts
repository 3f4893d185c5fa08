import { Duplex } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import { moved, type Moved } from '../runtime/envelope.js';
import { Link } from '../runtime/link.js';

/**
 * A connection's bytes carried over a MessagePort, for connections whose socket cannot move to
 * the channel's thread (TLS state lives where the handshake ran). Both ends are Duplex streams
 * with back-pressure: a chunk is written once the link has room for it, and a reader that does
 * not read holds its link, and so its peer's socket.
 */
type Chunk = { kind: 'data'; bytes: Moved<Uint8Array> } | { kind: 'end' } | { kind: 'destroy'; reason: string };
interface RelayTypes {
  send: Chunk;
  recv: Chunk;
  asks: {};
  answers: {};
}

/** Relay window, in chunks; a chunk is whatever one socket read gave (usually <= 64 KiB). */
const window = 16;

export class RelayedSocket extends Duplex {
  private readonly link: Link<RelayTypes>;

  constructor(port: MessagePort) {
    super({ allowHalfOpen: true });
    this.link = new Link<RelayTypes>(port, { name: 'relay', window, maxQueue: window });
    this.link.messages$.subscribe((c) => {
      if (c.kind === 'data') {
        if (!this.push(c.bytes.value)) this.link.pause();
      } else if (c.kind === 'end') this.push(null);
      else this.destroy(new Error(c.reason));
    });
  }

  override _read(): void {
    this.link.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    // A copy: the caller may reuse its buffer, and the moved one is gone from this thread.
    this.link.send({ kind: 'data', bytes: moved(new Uint8Array(chunk)) }).then(() => done(), done);
  }

  // A channel writes a message's header and body corked: one relayed chunk (one copy) for both.
  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.chunk.length, 0));
    let at = 0;
    for (const { chunk } of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    this.link.send({ kind: 'data', bytes: moved(bytes) }).then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.link.send({ kind: 'end' }).then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (this.link.state === 'up') this.link.offer({ kind: 'destroy', reason: err?.message ?? 'closed' });
    // Let the last frames leave before the port closes.
    setImmediate(() => this.link.close());
    done(err);
  }
}

/** Joins a local socket and a relayed one (on the other end of `port`) both ways; `first` goes ahead of the socket's bytes. */
export function relaySocket(socket: Duplex, port: MessagePort, first: Uint8Array): RelayedSocket {
  const relayed = new RelayedSocket(port);
  if (first.length > 0) relayed.write(first);
  socket.pipe(relayed).pipe(socket);
  const close = (err?: Error) => {
    if (!socket.destroyed) socket.destroy(err);
    if (!relayed.destroyed) relayed.destroy(err);
  };
  socket.on('error', close);
  socket.on('close', () => close());
  relayed.on('error', close);
  relayed.on('close', () => close());
  return relayed;
}
