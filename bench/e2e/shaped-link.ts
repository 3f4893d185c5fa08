/**
 * The shaped link: the servers run in a network namespace of their own, joined to ours by a
 * veth pair whose two ends are shaped with tbf (token bucket) to the link's rate, one per
 * direction. This kernel has no sch_netem, so the round-trip delay is added by a relay in the
 * bench process (delay-relay.ts), on our side of the pair. Needs root (ip netns, tc).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface LinkShape {
  /** Each direction, megabits per second. */
  readonly mbit: number;
  /** Round-trip time the relay adds, ms (half each way). */
  readonly rttMs: number;
}

const run = (...args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });

/** Namespaces made by this process and not yet removed, for the exit handler. */
const live = new Set<string>();
let exitHook = false;

export class ShapedLink {
  /** Our end's address, and the servers' (listen there). */
  readonly hostAddr: string;
  readonly nsAddr: string;
  /** Runs a command inside the namespace (it execs the command, which keeps its pid). */
  readonly wrap: readonly string[];

  private constructor(
    readonly ns: string,
    readonly shape: LinkShape,
    subnet: number,
  ) {
    this.hostAddr = `10.213.${subnet}.1`;
    this.nsAddr = `10.213.${subnet}.2`;
    this.wrap = ['ip', 'netns', 'exec', ns];
  }

  /** Makes the namespace, the veth pair and the shaping; removes what it made if a step fails. */
  static create(shape: LinkShape): ShapedLink {
    removeStale();
    const subnet = process.pid % 250;
    const link = new ShapedLink(`scbench-${process.pid}`, shape, subnet);
    const [host, inside] = [`scb${process.pid}h`.slice(0, 15), `scb${process.pid}n`.slice(0, 15)];
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => live.forEach(remove));
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
    }
    live.add(link.ns);
    try {
      run('ip', 'netns', 'add', link.ns);
      run('ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', inside, 'netns', link.ns);
      run('ip', 'addr', 'add', `${link.hostAddr}/30`, 'dev', host);
      run('ip', 'link', 'set', host, 'up');
      run('ip', '-n', link.ns, 'addr', 'add', `${link.nsAddr}/30`, 'dev', inside);
      run('ip', '-n', link.ns, 'link', 'set', inside, 'up');
      run('ip', '-n', link.ns, 'link', 'set', 'lo', 'up');
      // tbf on each end's egress: ours shapes client -> server, the namespace's server -> client.
      // Its queue holds about 50 ms at the rate, as a router's buffer would.
      const tbf = ['root', 'tbf', 'rate', `${shape.mbit}mbit`, 'burst', '16kb', 'latency', '50ms'];
      run('tc', 'qdisc', 'add', 'dev', host, ...tbf);
      run('tc', '-n', link.ns, 'qdisc', 'add', 'dev', inside, ...tbf);
    } catch (e) {
      link.destroy();
      throw new Error(`shaped link: ${(e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message}`);
    }
    return link;
  }

  /** Removes the namespace (and with it the veth pair and its shaping). */
  destroy(): void {
    remove(this.ns);
    live.delete(this.ns);
  }

  describe(): string {
    return `${this.shape.mbit} Mbit/s each way (tbf on a veth pair into a network namespace), ${this.shape.rttMs} ms RTT added by a delay relay in the bench process`;
  }
}

/** Namespaces left by a bench that was killed (its pid is gone). */
function removeStale(): void {
  const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const m of list.matchAll(/^scbench-(\d+)/gm)) if (!existsSync(`/proc/${m[1]}`)) remove(m[0]);
}

function remove(ns: string): void {
  try {
    run('ip', 'netns', 'del', ns);
  } catch {
    // already gone
  }
}
