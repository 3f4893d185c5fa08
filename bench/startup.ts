/**
 * `npm run bench:startup`: what the companion costs to start and to sit idle, against references
 * measured in the same run (an empty worker thread's boot, a bare node process's start).
 *
 * Each repetition spawns `node dist/bundle/actors/root/cli.js --port 0 --disable-ticketing --demo MODE`
 * twice: once with a TS client (client/session.ts) that connects as soon as the server says it is
 * listening, for the time to each actor's start, to 'listening' and to the first drawing, then CPU
 * with the client on a still screen and after it left; once with no client, for the CPU with
 * nobody connected. Figures are medians over the repetitions.
 *
 *     npm run bench:startup -- [--reps N] [--demo still|live] [--window S] [--settle S] [--against PATH]
 *
 * `--against` takes another build's cli.js (e.g. an older commit's, built apart): each repetition
 * runs it, then this build, and the summary gives this build's figures as ratios of that one's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { loadavg } from 'node:os';
import { SpiceClient } from '../client/session.js';
import { threadTimes, type ThreadTime } from '../runtime/thread-times.js';
import { percentile, table } from './stats.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const reps = Number(arg('reps', '3'));
const demo = arg('demo', 'still');
const windowS = Number(arg('window', '5'));
/** Each idle window starts at least this long after its companion's spawn (0: 1–2 s after what it follows). */
const settleS = Number(arg('settle', '0'));
const ours = new URL('../bundle/actors/root/cli.js', import.meta.url).pathname;
const against = arg('against', '');
const median = (xs: readonly number[]): number => (xs.length ? percentile(xs, 50) : NaN);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Waits `ms`, and until `--settle` seconds after the spawn at `t0`: the tail of the start-up
 * (V8's heap shrinking rounds some 8 s apart over the first ~45 s, before the companion turned
 * its memory reducer off for small heaps) would otherwise count as idle cost.
 */
const settle = (t0: number, ms: number) => sleep(Math.max(ms, settleS * 1000 - (Date.now() - t0)));

/** Wall time of an empty worker thread from `new Worker` to its first message: the unit an actor's start is counted in. */
function emptyWorkerMs(): Promise<number> {
  const t0 = performance.now();
  const w = new Worker("require('node:worker_threads').parentPort.postMessage(0)", { eval: true });
  return new Promise((resolve) => w.once('message', () => resolve(performance.now() - t0))).finally(() => w.terminate()) as Promise<number>;
}

/** Wall time from spawning a bare node process to its first output: what the companion starts from. */
function bareNodeMs(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', "process.stdout.write('x')"], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout!.once('data', () => resolve(performance.now() - t0)));
}

interface Started {
  readonly child: ChildProcess;
  /** Spawn time on the log's clock (Date.now()). */
  readonly t0: number;
  /** Each actor's 'actor started', ms after spawn. */
  readonly actors: Map<string, number>;
  readonly listening: Promise<{ port: number; ms: number }>;
  /** Resolves once every actor has started. */
  readonly allStarted: Promise<void>;
}

function startCompanion(cli: string): Started {
  const t0 = Date.now();
  const child = spawn(process.execPath, [cli, '--port', '0', '--disable-ticketing', '--demo', demo, '--log-level', 'debug'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const actors = new Map<string, number>();
  let everyActor = () => {};
  const allStarted = new Promise<void>((resolve) => (everyActor = resolve));
  const listening = new Promise<{ port: number; ms: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`companion exited with ${code} before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let m: { msg?: string; time?: number; actor?: string; port?: number };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        return;
      }
      if (m.msg === 'actor started' && m.actor) actors.set(m.actor, m.time! - t0);
      // The root says so once every actor has (builds differ in how many they start).
      if (m.msg === 'spice-companion started') everyActor();
      if (m.msg === 'listening' && m.port) resolve({ port: m.port, ms: m.time! - t0 });
    });
  });
  return { child, t0, actors, listening, allStarted };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** CPU % of one core, process-wide and by thread name, over `seconds`. */
async function cpuOver(pid: number, seconds: number): Promise<{ total: number; byName: Record<string, number> }> {
  const before = new Map(threadTimes(pid, 'root').map((t) => [t.tid, t.seconds]));
  await sleep(seconds * 1000);
  const spentNow: ThreadTime[] = threadTimes(pid, 'root').map((t) => ({ ...t, seconds: t.seconds - (before.get(t.tid) ?? 0) }));
  const byName: Record<string, number> = {};
  for (const t of spentNow) byName[t.name] = (byName[t.name] ?? 0) + (100 * t.seconds) / seconds;
  return { total: Object.values(byName).reduce((a, b) => a + b, 0), byName };
}

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

interface Rep {
  emptyWorker: number;
  bareNode: number;
  actors: Map<string, number>;
  listening: number;
  firstDrawing: number;
  /** CPU ms per thread name at the first drawing. */
  startCpu: Record<string, number>;
  idleClient: number;
  idleAfter: number;
  idleNoClient: number;
  idleNoClientByName: Record<string, number>;
  threadsNoClient: number;
  rssNoClient: number;
  threadsAfter: number;
}

async function repetition(cli: string): Promise<Rep> {
  const workerSample = [await emptyWorkerMs(), await emptyWorkerMs(), await emptyWorkerMs()];
  const nodeSample = [await bareNodeMs(), await bareNodeMs(), await bareNodeMs()];

  const s = startCompanion(cli);
  const pid = s.child.pid!;
  try {
    const { port, ms: listening } = await s.listening;
    const client = await SpiceClient.connect({ host: '127.0.0.1', port });
    const display = await client.displayReady();
    // The display draws as it links, before connect() has linked every channel: its own record of when.
    if (display.firstDrawnAt === null) await new Promise((r) => display.drawn$.subscribe(r));
    const firstDrawing = display.firstDrawnAt! - s.t0;
    await s.allStarted;
    const startCpu: Record<string, number> = {};
    for (const t of threadTimes(pid, 'root')) startCpu[t.name] = (startCpu[t.name] ?? 0) + t.seconds * 1000;
    await settle(s.t0, 1000);
    const idleClient = (await cpuOver(pid, windowS)).total;
    client.close();
    await settle(s.t0, 1000);
    const idleAfter = (await cpuOver(pid, windowS)).total;
    const threadsAfter = threadTimes(pid, 'root').length;
    await stop(s.child);

    const quiet = startCompanion(cli);
    const qpid = quiet.child.pid!;
    try {
      await quiet.allStarted;
      await settle(quiet.t0, 2000);
      const idle = await cpuOver(qpid, windowS);
      return {
        emptyWorker: median(workerSample),
        bareNode: median(nodeSample),
        actors: s.actors,
        listening,
        firstDrawing,
        startCpu,
        idleClient,
        idleAfter,
        idleNoClient: idle.total,
        idleNoClientByName: idle.byName,
        threadsNoClient: threadTimes(qpid).length,
        rssNoClient: rssMiB(qpid),
        threadsAfter,
      };
    } finally {
      await stop(quiet.child);
    }
  } finally {
    await stop(s.child);
  }
}

const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
const builds = against ? [against, ours] : [ours];
const runs = new Map<string, Rep[]>(builds.map((b) => [b, []]));
for (let i = 0; i < reps; i++) {
  for (const b of builds) runs.get(b)!.push(await repetition(b));
  process.stderr.write(`repetition ${i + 1}/${reps} done\n`);
}
const loadAfter = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
console.log(`bench:startup, --demo ${demo}, ${reps} repetitions (medians); load average ${load} before, ${loadAfter} after`);

/** The figures the summary compares, by name. */
function report(cli: string, rs: readonly Rep[]): Map<string, number> {
  const med = (f: (r: Rep) => number) => median(rs.map(f));
  const unit = med((r) => r.emptyWorker);
  const bare = med((r) => r.bareNode);
  console.log(`\n== ${cli}`);
  console.log(`references: empty worker boot ${unit.toFixed(0)} ms, bare node process ${bare.toFixed(0)} ms\n`);
  const names = [...new Set(rs.flatMap((r) => [...r.actors.keys()]))].sort(
    (a, b) => med((r) => r.actors.get(a) ?? NaN) - med((r) => r.actors.get(b) ?? NaN),
  );
  const rows: (string | number)[][] = names.map((n) => {
    const ms = med((r) => r.actors.get(n) ?? NaN);
    return [`actor ${n} started`, ms, ms / unit, ms / bare];
  });
  const key = new Map<string, number>();
  for (const [label, f] of [
    ['listening', (r: Rep) => r.listening],
    ['first drawing', (r: Rep) => r.firstDrawing],
  ] as const) {
    const ms = med(f);
    rows.push([label, ms, ms / unit, ms / bare]);
    key.set(
      `${label} / empty worker`,
      med((r) => f(r) / r.emptyWorker),
    );
  }
  console.log(table(['after spawn', 'ms', '/ empty worker', '/ bare node'], rows));

  const threadNames = [...new Set(rs.flatMap((r) => Object.keys(r.startCpu)))].sort();
  console.log('\nCPU spent by the first drawing, by thread name');
  console.log(
    table(
      ['thread', 'CPU ms', '/ empty worker'],
      threadNames.map((n) => {
        const ms = med((r) => r.startCpu[n] ?? 0);
        return [n, ms, ms / unit];
      }),
    ),
  );
  key.set(
    'start CPU, all threads / empty worker',
    med((r) => Object.values(r.startCpu).reduce((a, b) => a + b, 0) / r.emptyWorker),
  );

  console.log(
    `\nidle (--demo ${demo}), CPU % of one core over ${windowS} s${settleS ? `, each window ${settleS} s or more after the spawn` : ''}`,
  );
  const idle: Array<[string, (r: Rep) => number]> = [
    ['no client ever', (r) => r.idleNoClient],
    ['client connected', (r) => r.idleClient],
    ['after the client left', (r) => r.idleAfter],
  ];
  console.log(
    table(
      ['state', 'CPU %'],
      idle.map(([label, f]) => [label, med(f)]),
    ),
  );
  for (const [label, f] of idle) key.set(`idle CPU %, ${label}`, med(f));
  const idleNames = [...new Set(rs.flatMap((r) => Object.keys(r.idleNoClientByName)))].filter(
    (n) => med((r) => r.idleNoClientByName[n] ?? 0) > 0,
  );
  if (idleNames.length)
    console.log(`no client, by thread: ${idleNames.map((n) => `${n} ${med((r) => r.idleNoClientByName[n] ?? 0).toFixed(2)}`).join(', ')}`);
  console.log(
    `threads: ${med((r) => r.threadsNoClient)} with no client, ${med((r) => r.threadsAfter)} after a client left; RSS with no client ${med((r) => r.rssNoClient).toFixed(0)} MiB`,
  );
  key.set(
    'threads, no client',
    med((r) => r.threadsNoClient),
  );
  key.set(
    'RSS MiB, no client',
    med((r) => r.rssNoClient),
  );
  return key;
}

const figures = builds.map((b) => report(b, runs.get(b)!));
if (figures.length === 2) {
  const [before, after] = figures as [Map<string, number>, Map<string, number>];
  console.log('\n== this build against the other, same run');
  console.log(
    table(
      ['figure', 'other', 'this', 'this / other'],
      [...before].map(([k, v]) => [k, v, after.get(k)!, after.get(k)! / v]),
    ),
  );
}
