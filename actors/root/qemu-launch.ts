/**
 * QEMU run by the companion itself (`--qemu -- ARGS`): its display on a private bus (a
 * dbus-daemon of its own, in a private directory: QEMU 7.2's audio works only on a bus, a
 * listener registered over a peer-to-peer link crashes it) and QMP on a socket beside it. The
 * companion owns its lifetime: QEMU stops when the companion stops, and dies with it if the
 * companion is killed. If QEMU exits before its QMP answers (it refused its arguments, or the
 * program is not there), the companion does not start; if it exits later, that is logged and the
 * companion keeps serving with the display disabled.
 *
 * Runs on the main thread: the parent-death signal follows the thread that spawned QEMU, and
 * an actor's worker thread may be restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../runtime/log.js';
import { Qmp } from '../hosts/qemu-bridge/qmp.js';
import { StartError } from '../../runtime/start-error.js';

const DEFAULT_PROGRAM = 'qemu-system-x86_64';
/** Kept of a child's stderr for the log line of its exit. */
const STDERR_TAIL = 4096;
/** After SIGTERM, QEMU gets this long to exit before SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** Between attempts to reach QMP while QEMU starts. */
const QMP_POLL_MS = 50;

/** Something the companion runs beside its host actor, started before it and stopped after it. */
export interface HostProcess {
  start(log: Logger): Promise<void>;
  stop(): Promise<void>;
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** The id of the first `-audiodev dbus,id=X` in QEMU's arguments: the display serves that one's audio. */
export function dbusAudiodev(args: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < args.length; i++) {
    if (args[i] !== '-audiodev') continue;
    const [driver, ...options] = args[i + 1]!.split(',');
    const id = options.find((o) => o.startsWith('id='));
    if ((driver === 'dbus' || driver === 'driver=dbus') && id) return id.slice(3);
    if (options.includes('driver=dbus') && id) return id.slice(3);
  }
  return undefined;
}

/** Spawns `command`, killed if the companion dies without stopping it, its stderr's tail kept. */
function spawnTied(command: readonly string[], stdout: 'ignore' | 'pipe'): { child: ChildProcess; stderr: () => string } {
  // setpriv: a companion that dies without stopping the child takes it along.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...command], { stdio: ['ignore', stdout, 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-STDERR_TAIL)));
  return { child, stderr: () => stderr };
}

/** Ends `child` (SIGTERM, SIGKILL if it lingers) and waits until it has exited. */
async function end(child: ChildProcess | null): Promise<void> {
  if (!child || exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await gone;
  clearTimeout(timer);
}

export class QemuLauncher implements HostProcess {
  /** The private directory (made at start, mode 0700, removed at stop). */
  readonly dir = join(tmpdir(), `spice-companion-${process.pid}-${randomBytes(6).toString('hex')}`);
  readonly qmpPath = join(this.dir, 'qmp.sock');
  /** The private bus QEMU's display is on. */
  readonly busAddress = `unix:path=${join(this.dir, 'bus')}`;
  private child: ChildProcess | null = null;
  private bus: ChildProcess | null = null;
  private stopping = false;

  /** QEMU's process id while it runs. */
  get pid(): number | undefined {
    return this.child && !exited(this.child) ? this.child.pid : undefined;
  }

  /** `args` are QEMU's; when the first is not an option, it is the program to run instead of qemu-system-x86_64. */
  constructor(private readonly args: readonly string[]) {}

  /** The full command line: QEMU's program, the given arguments, then our display (with the D-Bus audiodev's sound, if any) and QMP. */
  command(): string[] {
    const [first, ...rest] = this.args;
    const [program, args] = first !== undefined && !first.startsWith('-') ? [first, rest] : [DEFAULT_PROGRAM, this.args];
    const audio = dbusAudiodev(args);
    const display = `dbus,addr=${this.busAddress}${audio !== undefined ? `,audiodev=${audio}` : ''}`;
    return [program, ...args, '-display', display, '-qmp', `unix:${this.qmpPath},server=on,wait=off`];
  }

  /** The private bus: a session-type dbus-daemon (EXTERNAL auth, this user only); settles once it listens. */
  private async startBus(): Promise<void> {
    const command = ['dbus-daemon', '--session', `--address=${this.busAddress}`, '--nofork', '--nopidfile', '--print-address=1'];
    const { child, stderr } = spawnTied(command, 'pipe');
    this.bus = child;
    await new Promise<void>((resolve, reject) => {
      child.once('error', (e) => reject(new StartError(`cannot run dbus-daemon for QEMU's display: ${e.message}`)));
      child.once('close', (code) => reject(new StartError(`dbus-daemon exited at start (exit code ${code}): ${stderr().trim()}`)));
      // The address is printed once the daemon listens.
      child.stdout!.once('data', () => resolve());
    });
  }

  /**
   * Spawns QEMU; settles once its QMP answers (QEMU is through its start-up and the bridge can
   * attach), or rejects with a StartError (QEMU's own message, its stderr) if QEMU exits first.
   */
  async start(log: Logger): Promise<void> {
    mkdirSync(this.dir, { mode: 0o700 });
    try {
      await this.startBus();
    } catch (e) {
      await end(this.bus);
      rmSync(this.dir, { recursive: true, force: true });
      throw e;
    }
    const command = this.command();
    const { child, stderr } = spawnTied(command, 'ignore');
    this.child = child;
    // 'close' rather than 'exit': QEMU's last words are read by then.
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (e) => reject(new StartError(`cannot run QEMU: ${e.message}`)));
      child.once('close', (code, signal) => {
        const status = signal ? `signal ${signal}` : `exit code ${code}`;
        reject(new StartError(`QEMU exited at start (${status})${stderr().trim() ? `: ${stderr().trim()}` : ''}`));
      });
    });
    let ended = false;
    failed.catch(() => (ended = true)); // once started, an exit is logged below instead
    try {
      await Promise.race([this.qmpAnswers(() => ended, failed), failed]);
    } catch (e) {
      await end(this.bus);
      rmSync(this.dir, { recursive: true, force: true });
      throw e;
    }
    log.info({ qemuPid: child.pid, command }, 'QEMU started');
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      log.error({ code, signal, stderr: stderr().trim() }, 'QEMU exited; the display stays disabled');
    });
  }

  /** Settles when QEMU's QMP answers, or as `failed` does once QEMU has `ended`. */
  private async qmpAnswers(ended: () => boolean, failed: Promise<never>): Promise<void> {
    while (!ended()) {
      try {
        // A probe, closed at once: QEMU serves one QMP client, and the bridge's turn comes next.
        (await Qmp.connect(this.qmpPath, 0)).close();
        return;
      } catch {
        await delay(QMP_POLL_MS);
      }
    }
    return failed;
  }

  /** Ends QEMU, then its bus, waits until both have exited, removes the directory. */
  async stop(): Promise<void> {
    this.stopping = true;
    await end(this.child);
    await end(this.bus);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
