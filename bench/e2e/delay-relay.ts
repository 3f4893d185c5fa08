/**
 * A TCP relay that delays each direction by half the round trip: the RTT of the shaped link
 * (this kernel has no netem). Each direction buffers at most about a bandwidth-delay product;
 * beyond that it stops reading, so TCP back-pressure still reaches the sender.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

interface Pending {
  readonly due: number;
  readonly chunk: Buffer;
}

/** One direction: what `from` sends reaches `to` `delayMs` later. */
function delayedPipe(from: Socket, to: Socket, delayMs: number, maxBytes: number): void {
  const queue: Pending[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | null = null;
  let blocked = false; // `to` asked us to wait for 'drain'

  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && queue[0]!.due <= now && !blocked) {
      const { chunk } = queue.shift()!;
      queued -= chunk.length;
      if (!to.write(chunk)) {
        blocked = true;
        to.once('drain', () => {
          blocked = false;
          flush();
        });
      }
    }
    if (queued < maxBytes && from.isPaused()) from.resume();
    if (queue.length && !blocked && !timer) timer = setTimeout(flush, Math.max(0, queue[0]!.due - performance.now()));
    if (!queue.length && from.readableEnded) to.end();
  };

  from.on('data', (chunk: Buffer) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    queued += chunk.length;
    if (queued >= maxBytes) from.pause();
    if (!timer && !blocked) timer = setTimeout(flush, delayMs);
  });
  from.on('end', () => {
    if (!queue.length) to.end();
  });
}

export interface DelayRelay {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port) and relays each connection to `target` with the delay. */
export async function startDelayRelay(target: { host: string; port: number }, rttMs: number, mbit: number): Promise<DelayRelay> {
  const oneWay = rttMs / 2;
  const bdp = Math.max(16_384, Math.round((mbit * 1e6 * (rttMs / 1000)) / 8));
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    client.setNoDelay(true);
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    delayedPipe(client, upstream, oneWay, bdp);
    delayedPipe(upstream, client, oneWay, bdp);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
