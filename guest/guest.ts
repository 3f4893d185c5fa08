import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Bitmap32 } from '../codecs/image/bitmap.js';
import { spawnQemu, type Qemu } from './qemu.js';
import type { Qmp } from './qmp.js';

/** Repository root, from dist/guest/ where this module runs. */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export type Workload = 'idle' | 'text' | 'desktop' | 'video' | 'movie' | 'input' | 'tone' | 'beep' | 'shell';

export interface GuestImage {
  /** The Debian bzImage. */
  readonly kernel: string;
  /** The same kernel uncompressed: QEMU boots it through PVH in half the time, so tests use it. */
  readonly vmlinux: string;
  readonly initrd: string;
  readonly kernelVersion: string;
}

/** Where tests keep the built guest: $GUEST_DIR, else dist/guest-image of this checkout (dist/guest holds this module compiled). */
export const defaultGuestDir = (): string => process.env.GUEST_DIR ?? join(repoRoot, 'dist', 'guest-image');

/** Runs guest/build.sh (a no-op when its cached products are current) and names them. */
export async function buildGuest(outDir = defaultGuestDir()): Promise<GuestImage> {
  const { stdout } = await promisify(execFile)('bash', [join(repoRoot, 'guest/build.sh'), outDir], { maxBuffer: 1 << 20 });
  const vars = new Map(
    stdout.split('\n').flatMap((l) => {
      const m = /^(\w+)=(.*)$/.exec(l);
      return m ? [[m[1]!, m[2]!] as const] : [];
    }),
  );
  const kernel = vars.get('GUEST_KERNEL'),
    vmlinux = vars.get('GUEST_VMLINUX'),
    initrd = vars.get('GUEST_INITRD');
  const kernelVersion = vars.get('GUEST_KERNEL_VERSION');
  if (!kernel || !vmlinux || !initrd || !kernelVersion) throw new Error(`build.sh named no products: ${stdout}`);
  return { kernel, vmlinux, initrd, kernelVersion };
}

export interface GuestOptions {
  readonly image: GuestImage;
  readonly workload?: Workload;
  /** std: `-vga std`, drawn by bochs-drm; virtio: `-device virtio-vga`, drawn by virtio-gpu. */
  readonly vga?: 'std' | 'virtio';
  /** virtio only: heads of the device (`max_outputs`), each a console of its own; the device is `id=video0` (for screendump's device and head). */
  readonly outputs?: number;
  /** More words for the kernel command line, e.g. `mode=800x600`, `draw=drm`. */
  readonly kernelArgs?: readonly string[];
  /** More QEMU arguments: input devices (`-device virtio-tablet-pci`), chardevs, ... */
  readonly qemuArgs?: readonly string[];
  /** Replaces `-display none`, e.g. `['-display', 'dbus,addr=unix:path=...']`. */
  readonly display?: readonly string[];
  /** Starts with `-S`: the guest runs on QMP `cont`. */
  readonly paused?: boolean;
  readonly memoryMb?: number;
  /** A command QEMU runs under, which execs it: e.g. `ip netns exec NS` (bench/e2e's shaped link). */
  readonly wrap?: readonly string[];
}

export interface Ready {
  readonly workload: string;
  readonly width: number;
  readonly height: number;
}

interface Waiter {
  readonly pattern: RegExp;
  readonly from: number;
  readonly resolve: (m: RegExpExecArray) => void;
  readonly reject: (e: Error) => void;
}

/**
 * A QEMU (TCG, no disk) running the test guest: its serial console as lines (guestdraw's
 * markers and input echo, the kernel's log), commands to guestdraw on the same line, QMP.
 */
export class Guest {
  /** Every serial console line so far, without line ends. */
  readonly lines: string[] = [];
  private partial = '';
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<(line: string) => void>();
  private exited: Error | null = null;
  readonly qmp: Qmp;

  private constructor(
    private readonly qemu: Qemu,
    readonly dir: string,
  ) {
    this.qmp = qemu.qmp;
  }

  static async start(options: GuestOptions): Promise<Guest> {
    const dir = mkdtempSync(join(tmpdir(), 'guest-'));
    const append = [
      'console=ttyS0',
      'quiet',
      'loglevel=3',
      'consoleblank=0',
      'vt.global_cursor_default=0',
      // The boot-time check that the IO-APIC timer ticks can miss its ticks under TCG on a busy
      // host and panic the kernel ("IO-APIC + timer doesn't work!"): seen once in a full test run.
      'no_timer_check',
      `workload=${options.workload ?? 'idle'}`,
      ...(options.kernelArgs ?? []),
    ];
    const args = [
      '-machine',
      'pc',
      '-accel',
      'tcg',
      '-m',
      String(options.memoryMb ?? 256),
      '-nodefaults',
      '-no-user-config',
      ...(options.vga === 'virtio'
        ? ['-device', `virtio-vga,id=video0${options.outputs ? `,max_outputs=${options.outputs}` : ''}`]
        : ['-vga', 'std']),
      ...(options.display ?? ['-display', 'none']),
      '-chardev',
      'stdio,id=console,signal=off',
      '-serial',
      'chardev:console',
      '-kernel',
      options.image.vmlinux,
      '-initrd',
      options.image.initrd,
      '-append',
      append.join(' '),
      ...(options.paused ? ['-S'] : []),
      ...(options.qemuArgs ?? []),
    ];
    let qemu: Qemu;
    try {
      qemu = await spawnQemu(dir, args, { stdio: true, wrap: options.wrap });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const guest = new Guest(qemu, dir);
    qemu.process.stdout!.setEncoding('utf8').on('data', (s: string) => guest.receive(s));
    qemu.process.once('exit', (code, signal) => guest.gone(new Error(`qemu exited (${signal ?? code}): ${qemu.stderr().trim()}`)));
    return guest;
  }

  /** QEMU's process id (setpriv and a `wrap` exec it). */
  get pid(): number {
    return this.qemu.process.pid!;
  }

  /** Calls `listener` with each line as it arrives (to time it); returns the unsubscribe. */
  onLine(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Index of the next line to come: a `from` for `waitForLine` that ignores what came before. */
  mark(): number {
    return this.lines.length;
  }

  /** The first line from index `from` on that matches `pattern` (unanchored: the kernel may print on the same line). */
  waitForLine(pattern: RegExp, { from = 0, timeoutMs = 60_000 }: { from?: number; timeoutMs?: number } = {}): Promise<RegExpExecArray> {
    for (let i = from; i < this.lines.length; i++) {
      const m = pattern.exec(this.lines[i]!);
      if (m) return Promise.resolve(m);
    }
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        pattern,
        from: this.lines.length,
        resolve: (m) => (settle(), resolve(m)),
        reject: (e) => (settle(), reject(e)),
      };
      const timer = setTimeout(
        () =>
          waiter.reject(
            new Error(`no serial line matching ${pattern} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-15).join('\n')}`),
          ),
        timeoutMs,
      );
      this.waiters.add(waiter);
    });
  }

  /** Waits for guestdraw's "GUEST-READY workload=NAME WxH"; fails when guestdraw gave up instead. */
  async waitReady(options: { from?: number; timeoutMs?: number } = {}): Promise<Ready> {
    const m = await this.waitForLine(/GUEST-READY workload=(\w+) (\d+)x(\d+)|GUEST-EXIT/, options);
    if (!m[1]) throw new Error(`guestdraw exited:\n${this.lines.filter((l) => l.startsWith('GUEST-')).join('\n')}`);
    return { workload: m[1], width: Number(m[2]), height: Number(m[3]) };
  }

  /** Switches guestdraw to `workload` and waits until it draws it. */
  async switchWorkload(workload: string): Promise<Ready> {
    const from = this.mark();
    this.sendSerial(`workload ${workload}`);
    return this.waitReady({ from });
  }

  /** A line to the guest's serial console: a guestdraw command (`workload text`, `mode 800x600`, `ping`). */
  sendSerial(line: string): void {
    this.qemu.process.stdin!.write(line + '\n');
  }

  /** The console's surface now, through QMP screendump. */
  screendump(): Promise<Bitmap32> {
    return this.qemu.screendump();
  }

  /**
   * Screendumps until `check` passes, and returns that image; when `timeoutMs` runs out, the
   * last one, for the caller's assertions to describe. The guest's drawing and QEMU's refresh
   * are not in step with the dump (fbdev flushes on a timer, VGA refreshes every 30 ms).
   */
  async screendumpUntil(check: (image: Bitmap32) => boolean, { timeoutMs = 10_000, intervalMs = 200 } = {}): Promise<Bitmap32> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const image = await this.screendump();
      if (check(image) || Date.now() > deadline) return image;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** Ends QEMU (QMP quit, then SIGKILL if it lingers) and removes the runtime directory. */
  async stop(): Promise<void> {
    await this.qemu.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private receive(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop()!;
    for (const line of parts) {
      const index = this.lines.push(line) - 1;
      for (const l of this.listeners) l(line);
      for (const w of this.waiters) {
        const m = index >= w.from ? w.pattern.exec(line) : null;
        if (m) w.resolve(m);
      }
    }
  }

  private gone(error: Error): void {
    this.exited = error;
    for (const w of this.waiters) w.reject(error);
  }
}
