import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateBus {
  /** Its D-Bus address, `unix:path=...` (without the guid, which QEMU's option parser would choke on). */
  readonly address: string;
  /** A scratch directory that goes with the bus (for QMP sockets, dumps). */
  readonly dir: string;
  readonly daemon: ChildProcess;
  stop(): void;
}

/** A private session-type dbus-daemon on a fresh socket, for one test; stop() kills it. */
export function startBus(): Promise<PrivateBus> {
  const dir = mkdtempSync(join(tmpdir(), 'dbus-test-'));
  const socket = join(dir, 'bus');
  const daemon = spawn('dbus-daemon', ['--session', `--address=unix:path=${socket}`, '--nofork', '--nopidfile', '--print-address=1'], {
    // stderr only ever says it may not raise its fd limit (not root-owned limits in containers)
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const stop = () => {
    daemon.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    let out = '';
    daemon.once('error', reject);
    daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
    daemon.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // the address is printed once the daemon listens
      if (out.includes('\n')) resolve({ address: `unix:path=${socket}`, dir, daemon, stop });
    });
  });
}
