import { createConnection, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ControlLine = Record<string, unknown>;

/** A fresh path for a control socket. */
export const controlPath = (): string => join(mkdtempSync(join(tmpdir(), 'spice-control-')), 'control.sock');

/** A connection to a control socket: the greeting, then each line sent and each line received. */
export class ControlClient {
  private readonly lines: ControlLine[] = [];
  private readonly waiters: Array<() => void> = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    createInterface({ input: socket }).on('line', (l) => {
      this.lines.push(JSON.parse(l) as ControlLine);
      this.waiters.splice(0).forEach((w) => w());
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        this.waiters.splice(0).forEach((w) => w());
        resolve();
      }),
    );
    socket.on('error', () => {});
  }

  static async connect(path: string): Promise<{ client: ControlClient; greeting: ControlLine }> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new ControlClient(socket);
    return { client, greeting: await client.next() };
  }

  /** The next line the server sends; rejects when the connection closes first. */
  async next(): Promise<ControlLine> {
    for (;;) {
      const line = this.lines.shift();
      if (line) return line;
      if (this.ended) throw new Error('control connection closed');
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  send(raw: string): void {
    this.socket.write(raw);
  }

  request(execute: string, args?: object): Promise<ControlLine> {
    this.send(JSON.stringify(args === undefined ? { execute } : { execute, arguments: args }) + '\n');
    return this.next();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One command on a fresh connection. */
export async function control(path: string, execute: string, args?: object): Promise<ControlLine> {
  const { client } = await ControlClient.connect(path);
  try {
    return await client.request(execute, args);
  } finally {
    client.close();
  }
}
