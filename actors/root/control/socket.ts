import { createServer, type Socket } from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import type { Logger } from '../../../runtime/log.js';
import { StartError } from '../../../runtime/start-error.js';
import { failure, greeting, parseRequest, type ControlCommand, type ControlReply } from './protocol.js';

/** Longest request line; a longer one closes its connection (QMP's own limit is in this range). */
const maxLineBytes = 64 * 1024;
/** Connections at once: management tools, not clients; more are closed at once. */
const maxConnections = 8;
/** Requests read ahead of their replies before the connection stops being read. */
const maxPending = 16;
/** Replies a peer leaves unread before it is dropped (it sends and never reads). */
const maxUnreadBytes = 1024 * 1024;

export interface ControlSocket {
  close(): Promise<void>;
}

/**
 * Listens on the unix socket `path` (mode 0600: whoever can connect can change the password)
 * and runs each request line with `run`, in order per connection. Bad input gets an error reply;
 * a line over `maxLineBytes` closes the connection, with a log line.
 */
export async function openControlSocket(
  path: string,
  version: string,
  run: (command: ControlCommand) => Promise<ControlReply>,
  log: Logger,
): Promise<ControlSocket> {
  removeStale(path);
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    if (connections.size >= maxConnections) {
      log.warn({ path, max: maxConnections }, 'control socket: too many connections; closing the new one');
      socket.destroy();
      return;
    }
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, version, run, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new StartError(`control-socket: cannot listen on ${path}: ${err.code ?? err.message}`)),
    );
    // The socket is made under this umask, so it is never open to others, not even briefly.
    const umask = process.umask(0o177);
    try {
      server.listen(path, resolve);
    } finally {
      process.umask(umask);
    }
  });
  chmodSync(path, 0o600);
  log.info({ path }, 'control socket listening');
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A socket left by an earlier run is replaced, as QEMU does; anything else at the path is not ours to remove. */
function removeStale(path: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new StartError(`control-socket: ${path} exists and is not a socket`);
  unlinkSync(path);
}

function serveConnection(socket: Socket, version: string, run: (command: ControlCommand) => Promise<ControlReply>, log: Logger): void {
  const write = (reply: object) => {
    if (socket.writableEnded) return;
    if (socket.writableLength > maxUnreadBytes) {
      log.warn({ unread: socket.writableLength }, 'control socket: the peer does not read its replies; closing the connection');
      socket.destroy();
      return;
    }
    socket.write(JSON.stringify(reply) + '\n');
  };
  socket.on('error', (err) => log.debug({ err: err.message }, 'control connection error'));
  write(greeting(version));
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let pending = 0;
  let queue = Promise.resolve();

  const handle = async (line: string) => {
    if (line.trim() === '') return;
    const request = parseRequest(line);
    const reply =
      'command' in request
        ? await run(request.command).catch((err: unknown) => failure(err instanceof Error ? err.message : String(err)))
        : request.reply;
    if ('error' in reply)
      log.info({ command: 'command' in request ? request.command.execute : null, error: reply.error.desc }, 'control command failed');
    else if ('command' in request) log.info({ command: request.command.execute }, 'control command');
    write({ ...reply, ...request.id });
  };
  const tooLong = () => {
    log.warn({ max: maxLineBytes }, 'control socket: request line too long; closing the connection');
    write(failure(`request line longer than ${maxLineBytes} bytes`));
    socket.pause();
    socket.end(() => socket.destroy());
  };

  socket.on('data', (chunk: Buffer) => {
    let start = 0;
    if (socket.writableEnded) return;
    for (let nl = chunk.indexOf(10); nl >= 0 && !socket.writableEnded; nl = chunk.indexOf(10, start)) {
      if (partialBytes + nl - start > maxLineBytes) return tooLong();
      const line = Buffer.concat([...partial, chunk.subarray(start, nl)]).toString('utf8');
      partial = [];
      partialBytes = 0;
      start = nl + 1;
      pending++;
      if (pending >= maxPending) socket.pause();
      queue = queue
        .then(() => handle(line))
        .finally(() => {
          if (--pending < maxPending) socket.resume();
        });
    }
    if (socket.writableEnded || start === chunk.length) return;
    partialBytes += chunk.length - start;
    if (partialBytes > maxLineBytes) return tooLong();
    partial.push(chunk.subarray(start));
  });
}
