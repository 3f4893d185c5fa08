import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** test/e2e/spice-probe.py, in the source tree (tsc does not copy it). */
const script = fileURLToPath(new URL('../../../test/e2e/spice-probe.py', import.meta.url));

export type ProbeEvent = { event: string; t: number } & Record<string, unknown>;

/**
 * spice-gtk (libspice-client-glib through GObject introspection) driven from a test: it
 * connects like remote-viewer, reports what it sees as events, and takes commands.
 */
export class SpiceProbe {
  readonly events: ProbeEvent[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  private readonly child: ChildProcess;
  private waiters: Array<() => void> = [];
  private seq = 0;

  constructor(args: string[]) {
    this.child = spawn('/usr/bin/python3', [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      // spice-gtk's own debug output (SPICE_DEBUG) shares stdout.
      if (!line.startsWith('{')) return void (this.stderr += line + '\n');
      this.events.push(JSON.parse(line) as ProbeEvent);
      this.waiters.splice(0).forEach((w) => w());
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.waiters.splice(0).forEach((w) => w());
        resolve(code);
      }),
    );
  }

  /** The first event matching `match`, waiting up to `timeoutMs`. */
  async waitFor(match: (e: ProbeEvent) => boolean, what: string, timeoutMs = 15_000): Promise<ProbeEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (this.child.exitCode !== null) throw new Error(`spice-probe exited (${this.child.exitCode}) before ${what}: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.map((e) => e.event))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Channels that reached SPICE_CHANNEL_OPENED, as "type:id". */
  opened(): string[] {
    return this.events.filter((e) => e.event === 'channel-event' && e.name === 'SPICE_CHANNEL_OPENED').map((e) => `${e.channel}:${e.id}`);
  }

  async command(cmd: Record<string, unknown>): Promise<ProbeEvent> {
    const seq = ++this.seq;
    this.child.stdin!.write(JSON.stringify({ ...cmd, seq }) + '\n');
    const reply = await this.waitFor((e) => e.event === 'reply' && e.seq === seq, `reply to ${String(cmd.cmd)}`);
    if (!reply.ok) throw new Error(`spice-probe: ${String(reply.error)}`);
    return reply;
  }

  async quit(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.stdin!.end(JSON.stringify({ cmd: 'quit' }) + '\n');
    return this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
