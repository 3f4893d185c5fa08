/**
 * Node's --cpu-prof files (one per thread) read back: self time per function within a window,
 * per thread, the thread named by the actor it hosts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }>;
  /** µs on the monotonic clock. */
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ThreadProfile {
  readonly threadId: number;
  readonly name: string;
  /** Seconds the thread ran JS or the engine (not idle) within the window. */
  readonly busyS: number;
  /** The functions that took most of it: self seconds. */
  readonly top: ReadonlyArray<{ readonly fn: string; readonly selfS: number }>;
}

/** `CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile` */
const threadIdOf = (file: string): number => Number(file.split('.')[4]);

export function readCpuProfiles(
  dir: string,
  names: ReadonlyMap<number, string>,
  window: { fromNs: bigint; toNs: bigint },
  topN = 8,
): ThreadProfile[] {
  const from = Number(window.fromNs / 1000n);
  const to = Number(window.toNs / 1000n);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((file) => {
      const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
      const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
      const self = new Map<string, number>();
      let t = p.startTime;
      p.samples.forEach((id, i) => {
        const dt = p.timeDeltas[i] ?? 0;
        t += dt;
        if (t < from || t > to) return;
        const f = frames.get(id)!;
        if (f.functionName === '(idle)') return;
        const where = f.url ? ` ${f.url.replace(/^.*?\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
        const key = `${f.functionName || '(anonymous)'}${where}`;
        self.set(key, (self.get(key) ?? 0) + dt);
      });
      const threadId = threadIdOf(file);
      const busy = [...self.values()].reduce((s, v) => s + v, 0);
      const top = [...self]
        .sort((a, b) => b[1] - a[1])
        .slice(0, topN)
        .map(([fn, us]) => ({ fn, selfS: us / 1e6 }));
      return {
        threadId,
        // The companion's only threads that are not actors are the compressor pool's.
        name: names.get(threadId) ?? 'compressor pool thread',
        busyS: busy / 1e6,
        top,
      };
    })
    .sort((a, b) => b.busyS - a.busyS);
}
