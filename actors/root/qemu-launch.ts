/**
 * QEMU run by the companion itself (`--qemu -- ARGS`): its display on a peer-to-peer D-Bus link
 * and QMP on a socket in a private directory, where the bridge hands the link over. The
 * companion owns its lifetime: QEMU stops when the companion stops, and dies with it if the
 * companion is killed. If QEMU exits on its own, that is logged and the companion keeps serving
 * with the display disabled.
 *
 * Runs on the main thread: the parent-death signal follows the thread that spawned QEMU, and
 * an actor's worker thread may be restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../runtime/log.js';

const DEFAULT_PROGRAM = 'qemu-system-x86_64';
/** Kept of QEMU's stderr for the exit log line. */
const STDERR_TAIL = 4096;
/** After SIGTERM, QEMU gets this long to exit before SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** Something the companion runs beside its host actor, started before it and stopped after it. */
export interface HostProcess {
  start(log: Logger): Promise<void>;
  stop(): Promise<void>;
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

export class QemuLauncher implements HostProcess {
  /** The private directory (made at start, mode 0700, removed at stop). */
  readonly dir = join(tmpdir(), `spice-companion-${process.pid}-${randomBytes(6).toString('hex')}`);
  readonly qmpPath = join(this.dir, 'qmp.sock');
  private child: ChildProcess | null = null;
  private stopping = false;

  /** QEMU's process id while it runs. */
  get pid(): number | undefined {
    return this.child && !exited(this.child) ? this.child.pid : undefined;
  }

  /** `args` are QEMU's; when the first is not an option, it is the program to run instead of qemu-system-x86_64. */
  constructor(private readonly args: readonly string[]) {}

  /** The full command line: QEMU's program, the given arguments, then our display and QMP. */
  command(): string[] {
    const [first, ...rest] = this.args;
    const [program, args] = first !== undefined && !first.startsWith('-') ? [first, rest] : [DEFAULT_PROGRAM, this.args];
    return [program, ...args, '-display', 'dbus,p2p=yes', '-qmp', `unix:${this.qmpPath},server=on,wait=off`];
  }

  /** Spawns QEMU; settles once it runs (QMP comes up later: the bridge retries until it answers). */
  async start(log: Logger): Promise<void> {
    mkdirSync(this.dir, { mode: 0o700 });
    const command = this.command();
    // setpriv: a companion that dies without stopping QEMU takes it along.
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-STDERR_TAIL)));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    this.child = child;
    log.info({ qemuPid: child.pid, command }, 'QEMU started');
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      log.error({ code, signal, stderr: stderr.trim() }, 'QEMU exited; the display stays disabled');
    });
  }

  /** Ends QEMU (SIGTERM, SIGKILL if it lingers), waits until it has exited, removes the directory. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && !exited(child)) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
