import { setTimeout as delay } from 'node:timers/promises';
import { StringDecoder } from 'node:string_decoder';
import { close, type Fd } from '../../../native/index.js';
import { UnixTransport } from './dbus/transport.js';

export interface QmpEvent {
  readonly event: string;
  readonly data: unknown;
}

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    desc: string,
  ) {
    super(`QMP ${command}: ${errorClass}: ${desc}`);
  }
}

/** How long a connected QMP socket may take to answer qmp_capabilities. */
const ANSWER_MS = 5_000;

interface Pending {
  readonly command: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

type Message =
  | { readonly kind: 'return'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly errorClass: string; readonly desc: string }
  | { readonly kind: 'event'; readonly event: QmpEvent }
  | { readonly kind: 'greeting' };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One line of the QMP stream as a message, or null for what this client does not use. */
function parseMessage(line: string): Message | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isRecord(v)) return null;
  if ('QMP' in v) return { kind: 'greeting' };
  if (typeof v.event === 'string') return { kind: 'event', event: { event: v.event, data: v.data } };
  if (typeof v.id !== 'number') return null;
  if ('return' in v) return { kind: 'return', id: v.id, value: v.return };
  if (isRecord(v.error)) return { kind: 'error', id: v.id, errorClass: String(v.error.class), desc: String(v.error.desc) };
  return null;
}

/**
 * A QMP client on QEMU's unix socket (`-qmp unix:PATH,server=on,wait=off`): capabilities
 * negotiated, commands matched to replies by id, events kept in `events`. It runs over our
 * fd-capable transport, so a command can carry fds (SCM_RIGHTS), as `getfd` wants.
 */
export class Qmp {
  readonly events: QmpEvent[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffered = '';
  private readonly text = new StringDecoder('utf8');
  private readonly space = new Uint8Array(65536);
  private closed: Error | null = null;

  private constructor(private readonly transport: UnixTransport) {
    transport.start({
      space: () => this.space,
      filled: (n, fds) => {
        fds.forEach(close); // QEMU sends none; any that came are not ours to keep
        this.receive(this.text.write(this.space.subarray(0, n)));
      },
      ended: (error) => this.fail(error ?? new Error('QMP connection closed')),
    });
  }

  /** Connects (retrying while QEMU has not made the socket, or not listened on it yet) and leaves negotiation mode. */
  static async connect(path: string, timeoutMs = 10_000): Promise<Qmp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let qmp: Qmp | undefined;
      try {
        const q = (qmp = new Qmp(await UnixTransport.connect(path)));
        // QEMU serves one QMP client at a time: another may hold the socket, and no greeting comes.
        const busy = setTimeout(() => q.close(), Math.max(deadline - Date.now(), ANSWER_MS));
        await q.execute('qmp_capabilities').finally(() => clearTimeout(busy));
        return q;
      } catch (e) {
        qmp?.close();
        if (Date.now() > deadline) throw new Error(`QMP at ${path}: ${(e as Error).message}`);
        await delay(50);
      }
    }
  }

  /** Runs a command, with `fds` attached to it (for getfd); rejects with a QmpError for QMP's error. */
  execute(command: string, args?: Record<string, unknown>, fds: readonly Fd[] = []): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { command, resolve, reject });
      this.transport.write(
        Buffer.from(JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id }) + '\n'),
        fds,
      );
    });
  }

  /** Ends QEMU; the connection then closes, so no reply is awaited. False if the connection is gone already. */
  quit(): boolean {
    if (this.closed) return false;
    this.transport.write(Buffer.from(JSON.stringify({ execute: 'quit' }) + '\n'));
    return true;
  }

  close(): void {
    this.transport.close();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const message = parseMessage(this.buffered.slice(0, nl));
      this.buffered = this.buffered.slice(nl + 1);
      if (!message || message.kind === 'greeting') continue;
      if (message.kind === 'event') {
        this.events.push(message.event);
        continue;
      }
      const p = this.pending.get(message.id);
      if (!p) continue;
      this.pending.delete(message.id);
      if (message.kind === 'return') p.resolve(message.value);
      else p.reject(new QmpError(p.command, message.errorClass, message.desc));
    }
  }

  private fail(error: Error): void {
    this.closed ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
