import { once } from 'node:events';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Bitmap32 } from '../codecs/image/bitmap.js';
import { readPpm } from '../codecs/image/ppm.js';
import { Qmp, screendump } from './qmp.js';

export const QEMU = 'qemu-system-x86_64';
export const haveQemu = (): boolean => spawnSync('which', [QEMU]).status === 0;

/** A running QEMU with its QMP connection. */
export interface Qemu {
  readonly process: ChildProcess;
  readonly qmp: Qmp;
  /** What QEMU wrote to stderr so far. */
  stderr(): string;
  /** The console's surface now, through QMP screendump (B,G,R,X). */
  screendump(): Promise<Bitmap32>;
  /** Ends QEMU (QMP quit, SIGKILL if it lingers) and waits until it has exited. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Pipes QEMU's stdin and stdout, for a chardev on stdio (a serial console); else they are ignored. */
  readonly stdio?: boolean;
  /** A command QEMU runs under, which execs it (so QEMU keeps the pid): e.g. `ip netns exec NS`. */
  readonly wrap?: readonly string[];
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/**
 * Spawns QEMU with `args` and QMP on `dir`/qmp.sock (`dir` also takes the screendumps) and
 * connects QMP; when QEMU exits first, it fails with QEMU's stderr.
 */
export async function spawnQemu(dir: string, args: readonly string[], { stdio = false, wrap = [] }: SpawnOptions = {}): Promise<Qemu> {
  const qmpPath = join(dir, 'qmp.sock');
  // setpriv: QEMU dies with this process (a crashed test must not leave a QEMU running).
  // The death signal follows the spawning thread, so spawn from the main thread.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...wrap, QEMU, ...args, '-qmp', `unix:${qmpPath},server=on,wait=off`], {
    stdio: [stdio ? 'pipe' : 'ignore', stdio ? 'pipe' : 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let qmp: Qmp;
  try {
    const spawned = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`qemu exited (${signal ?? code}) before QMP was up: ${stderr.trim()}`)));
    });
    // A minute: on a loaded machine QEMU took over 10 s to answer its first QMP command.
    qmp = await Promise.race([Qmp.connect(qmpPath, 60_000), spawned]);
  } catch (e) {
    // QMP closing first usually means QEMU is exiting: its reason is in stderr a moment later.
    if (!exited(child)) await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 1_000))]);
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}${stderr.trim() ? `; QEMU said: ${stderr.trim()}` : ''}`);
  }
  let dumps = 0;
  return {
    process: child,
    qmp,
    stderr: () => stderr,
    async screendump() {
      const file = join(dir, `screen-${dumps++}.ppm`);
      await screendump(qmp, file);
      const image = readPpm(readFileSync(file));
      rmSync(file, { force: true });
      if (!image.ok) throw new Error(image.error);
      return image.value;
    },
    async stop() {
      if (!exited(child)) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        if (!qmp.quit()) child.kill('SIGKILL');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      }
      qmp.close();
    },
  };
}

/**
 * QEMU with SeaBIOS only (no disk, no NIC), stopped (-S) until `cont`, its display on D-Bus as
 * `display` says (`dbus,addr=...` or `dbus,p2p=yes`), QMP and screendumps in `dir`.
 */
export function startBiosQemu(dir: string, display: string, extra: readonly string[] = []): Promise<Qemu> {
  return spawnQemu(dir, ['-accel', 'tcg', '-m', '64', '-nodefaults', '-vga', 'std', '-display', display, '-S', ...extra]);
}
