/**
 * `perf record -e cpu-clock -g` of the companion read back: on-CPU samples per thread within a
 * window. Unlike --cpu-prof (a wall-clock sampler of JS), a sample here is a thread on a CPU,
 * whatever it runs: JS (named through node's --perf-basic-prof map), V8's compiler and collector,
 * libuv, the kernel's side of a syscall. Each thread's time is given by what ran (`kinds`) and by
 * the innermost JS function on the stack (`owners`: a builtin, the engine or a native call
 * counted to the JS that called it), so that code run slowly before V8 optimised it shows
 * against the function it belongs to.
 */
import { spawnSync } from 'node:child_process';

export interface ThreadSamples {
  /** The thread's name (the actor's, set by the companion; V8's helpers are `node`). */
  readonly name: string;
  /** Milliseconds on a CPU within the window (samples x the sampling period). */
  readonly cpuMs: number;
  /** What the thread ran, by kind (JS by its tier, builtins, compiler, collector, kernel, ...). */
  readonly kinds: ReadonlyArray<readonly [string, number]>;
  /** The innermost JS function on the stack, or the leaf where there is none. */
  readonly owners: ReadonlyArray<readonly [string, number]>;
}

/** What a leaf frame is: by its shared object, and for node's own by its symbol. */
function kindOf(sym: string, dso: string): string {
  if (dso.includes('kernel')) return 'kernel';
  if (dso.endsWith('.map')) {
    const tier = sym[3];
    return tier === '*' ? 'JS optimised' : tier === '^' ? 'JS baseline' : tier === '+' ? 'JS maglev' : 'JS interpreted';
  }
  if (dso.endsWith('.node')) return 'addon';
  if (dso !== 'node') return 'libc/libstdc++';
  if (sym.startsWith('Builtins_')) return 'V8 builtins (interpreter, ICs)';
  if (/compiler::|Turbofan|Maglev|Pipeline|OptimizedCompilationJob/.test(sym)) return 'V8 optimising compiler';
  if (/Heap|Scaveng|Mark|Sweep|Evacuat|Compactor|GC|Remembered|Slot/.test(sym)) return 'V8 collector';
  if (/Parse|Scanner|Bytecode|baseline::|CodeSerializer|Deserializ|Compiler::/.test(sym)) return 'V8 parser, bytecode, baseline';
  return 'node, V8 runtime, libuv';
}

/**
 * `hz` is the sampling rate the data was recorded at; the window is on CLOCK_MONOTONIC (the
 * data recorded with `-k CLOCK_MONOTONIC`, as process.hrtime is).
 */
export function readPerfSamples(data: string, window: { fromNs: bigint; toNs: bigint }, hz: number, topN = 12): ThreadSamples[] {
  const out = spawnSync('perf', ['script', '-i', data, '-F', 'comm,time,ip,sym,dso', '--ns'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (out.status !== 0) throw new Error(`perf script failed: ${out.stderr}`);
  const from = Number(window.fromNs) / 1e9;
  const to = Number(window.toNs) / 1e9;
  const msPerSample = 1000 / hz;
  const threads = new Map<string, { kinds: Map<string, number>; owners: Map<string, number> }>();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + msPerSample);
  // A sample: "<comm> <sec>.<ns>:" then one line per frame, "<addr> <sym>+0x.. (<dso>)", leaf first.
  const head = /^(\S.*?)\s+(\d+\.\d+):\s*$/;
  const frame = /^\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$/;
  let comm: string | undefined;
  let frames: Array<{ sym: string; dso: string }> = [];
  const end = () => {
    if (comm === undefined || frames.length === 0) return;
    const t = threads.get(comm) ?? { kinds: new Map(), owners: new Map() };
    threads.set(comm, t);
    const leaf = frames[0]!;
    add(t.kinds, kindOf(leaf.sym, leaf.dso));
    const js = frames.find((f) => f.dso.endsWith('.map'));
    add(t.owners, js ? js.sym.replace(/ \/work\/[^ ]*\/dist\/bundle\//, ' ') : `${leaf.sym}  [${leaf.dso}]`);
  };
  for (const l of out.stdout.split('\n')) {
    const h = head.exec(l);
    if (h) {
      end();
      const t = Number(h[2]);
      comm = t >= from && t <= to ? h[1]!.trim() : undefined;
      frames = [];
      continue;
    }
    const f = comm === undefined ? null : frame.exec(l);
    if (f) frames.push({ sym: f[1]!.replace(/\+0x[0-9a-f]+$/, ''), dso: f[2]!.replace(/^.*\//, '') });
  }
  end();
  const sorted = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [...threads]
    .map(([name, t]) => ({
      name,
      cpuMs: [...t.kinds.values()].reduce((a, b) => a + b, 0),
      kinds: sorted(t.kinds, Number.POSITIVE_INFINITY),
      owners: sorted(t.owners, topN),
    }))
    .sort((a, b) => b.cpuMs - a.cpuMs);
}
