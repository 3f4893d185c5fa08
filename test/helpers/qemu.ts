import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fd } from '../../native/index.js';
import { UnixTransport } from '../../actors/qemu-bridge/dbus/transport.js';
import { eventually } from './eventually.js';

export const QEMU = 'qemu-system-x86_64';
export const haveQemu = (): boolean => spawnSync('which', [QEMU]).status === 0;

export interface Qemu {
  readonly process: ChildProcess;
  readonly qmp: Qmp;
  /** What QEMU wrote to stderr so far. */
  stderr(): string;
  stop(): void;
}

/**
 * QEMU with SeaBIOS only (no disk, no NIC), stopped (-S) until `cont`, its display on D-Bus as
 * `display` says (`dbus,addr=...` or `dbus,p2p=yes`), QMP on `dir`/qmp.
 */
export async function startQemu(dir: string, display: string, extra: readonly string[] = []): Promise<Qemu> {
  const qmpPath = join(dir, 'qmp');
  const child = spawn(QEMU, ['-accel', 'tcg', '-m', '64', '-nodefaults', '-vga', 'std', '-display', display, '-S', '-qmp', `unix:${qmpPath},server=on,wait=off`, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  // The socket file appears before QEMU listens on it: retry until a connection takes.
  let qmp: Qmp | undefined;
  await eventually(
    'QMP',
    async () => {
      if (child.exitCode !== null) return true;
      qmp = await Qmp.connect(qmpPath).catch(() => undefined);
      return qmp !== undefined;
    },
    10_000,
  );
  if (!qmp) throw new Error(`QEMU exited at once: ${stderr}`);
  return {
    process: child,
    qmp,
    stderr: () => stderr,
    stop: () => {
      qmp!.close();
      child.kill('SIGKILL');
    },
  };
}

/** A QMP client that can pass fds (getfd), over our fd-capable unix transport. */
export class Qmp {
  private text = '';
  private readonly waiting: ((reply: Record<string, unknown>) => void)[] = [];
  private readonly buf = new Uint8Array(65536);

  private constructor(private readonly transport: UnixTransport) {
    transport.start({
      space: () => this.buf,
      filled: (n) => this.received(Buffer.from(this.buf.subarray(0, n)).toString()),
      ended: () => {},
    });
  }

  static async connect(path: string): Promise<Qmp> {
    const qmp = new Qmp(await UnixTransport.connect(path));
    await qmp.next(); // the greeting
    await qmp.execute('qmp_capabilities');
    return qmp;
  }

  /** Runs a command (with fds attached to it, for getfd); rejects with QMP's error. */
  async execute(command: string, args?: Record<string, unknown>, fds: readonly Fd[] = []): Promise<unknown> {
    const reply = this.next();
    this.transport.write(Buffer.from(JSON.stringify({ execute: command, ...(args && { arguments: args }) }) + '\n'), fds);
    const r = await reply;
    if ('error' in r) throw new Error(`QMP ${command}: ${JSON.stringify(r.error)}`);
    return r.return;
  }

  close(): void {
    this.transport.close();
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private received(text: string): void {
    this.text += text;
    let nl;
    while ((nl = this.text.indexOf('\n')) >= 0) {
      const line = this.text.slice(0, nl).trim();
      this.text = this.text.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if ('event' in msg) continue;
      this.waiting.shift()?.(msg);
    }
  }
}

/** An RGB image (3 bytes a pixel) from a binary PPM (P6, maxval 255), as QMP screendump writes it. */
export function readPpm(path: string): { width: number; height: number; rgb: Uint8Array } {
  const bytes = readFileSync(path);
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(bytes.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a P6 PPM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, rgb: bytes.subarray(header[0].length, header[0].length + width * height * 3) };
}
