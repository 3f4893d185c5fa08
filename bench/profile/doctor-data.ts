/**
 * What `clinic doctor` sampled in each thread of the companion (one directory per thread, see
 * doctor-per-thread.cjs), read back with clinic's own decoders and analysis: event-loop delay and
 * utilisation within a window, heap, and the issues doctor itself finds.
 */
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';

const require = createRequire(import.meta.url);
const doctorDir = require.resolve('@clinic/doctor/package.json').replace(/package\.json$/, '');
const load = (m: string): unknown => require(join(doctorDir, m));
const pumpify = require(require.resolve('pumpify', { paths: [doctorDir] })) as { obj(...streams: unknown[]): Readable };
type Decoder = new (...args: unknown[]) => unknown;
const ProcessStatDecoder = load('format/process-stat-decoder.js') as Decoder;
const SystemInfoDecoder = load('format/system-info-decoder.js') as Decoder;
const TraceEventDecoder = load('format/trace-event-decoder.js') as Decoder;
const Analysis = load('analysis/index.js') as new (...streams: Readable[]) => Readable;

interface Sample {
  readonly timestamp: number;
  readonly delay: number;
  readonly loopUtilization?: number;
  readonly memory: { readonly heapUsed: number };
}

export interface ThreadDoctor {
  readonly name: string;
  readonly samples: number;
  readonly delayP50Ms: number;
  readonly delayP99Ms: number;
  readonly delayMaxMs: number;
  /** Event-loop utilisation, mean %, as doctor samples it. */
  readonly loopUtilization: number | null;
  readonly heapMaxMiB: number;
  /** Doctor's verdicts ("none" or the kind of issue) over the whole run. */
  readonly issues: unknown;
}

const files = (dir: string) => {
  const id = basename(dir).replace(/\.clinic-doctor$/, '');
  return {
    processstat: join(dir, `${id}.clinic-doctor-processstat`),
    systeminfo: join(dir, `${id}.clinic-doctor-systeminfo`),
    traceevent: join(dir, `${id}.clinic-doctor-traceevent`),
  };
};

const readAll = <T>(stream: Readable): Promise<T[]> =>
  new Promise((resolve, reject) => {
    const out: T[] = [];
    stream
      .on('data', (d: T) => out.push(d))
      .on('end', () => resolve(out))
      .on('error', reject);
  });

const quantile = (xs: readonly number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

/**
 * Every thread's directory under `dest` for the companion `pid` (`PID.clinic-doctor` for the main
 * thread, `PID-ACTOR.clinic-doctor` for workers); samples within [fromMs, toMs] wall clock.
 * Doctor's analysis needs the trace events, which only the main thread writes (GC is per process).
 */
export async function readDoctor(dest: string, pid: number, window: { fromMs: number; toMs: number }): Promise<ThreadDoctor[]> {
  const dirs = readdirSync(dest)
    .filter((d) => d.startsWith(`${pid}`) && d.endsWith('.clinic-doctor'))
    .map((d) => join(dest, d));
  const mainDir = join(dest, `${pid}.clinic-doctor`);
  const trace = files(mainDir).traceevent;
  const out: ThreadDoctor[] = [];
  for (const dir of dirs) {
    const f = files(dir);
    const name =
      basename(dir) === `${pid}.clinic-doctor`
        ? 'main thread'
        : basename(dir)
            .replace(`${pid}-`, '')
            .replace(/\.clinic-doctor$/, '');
    const all = await readAll<Sample>(pumpify.obj(createReadStream(f.processstat), new ProcessStatDecoder()));
    const inWindow = all.filter((s) => s.timestamp >= window.fromMs && s.timestamp <= window.toMs);
    let issues: unknown = 'not analysed (no trace events)';
    if (existsSync(trace) && all.length > 0) {
      const system = pumpify.obj(createReadStream(f.systeminfo), new SystemInfoDecoder());
      const analysis = await readAll<{ issues?: unknown }>(
        new Analysis(
          system,
          pumpify.obj(createReadStream(trace), new TraceEventDecoder(system)),
          pumpify.obj(createReadStream(f.processstat), new ProcessStatDecoder()),
        ),
      );
      issues = analysis[0]?.issues ?? analysis;
    }
    const delays = inWindow.map((s) => s.delay);
    const util = inWindow.flatMap((s) => (s.loopUtilization === undefined ? [] : [s.loopUtilization]));
    out.push({
      name,
      samples: inWindow.length,
      delayP50Ms: quantile(delays, 0.5),
      delayP99Ms: quantile(delays, 0.99),
      delayMaxMs: delays.length ? Math.max(...delays) : NaN,
      loopUtilization: util.length ? util.reduce((a, b) => a + b, 0) / util.length : null,
      heapMaxMiB: inWindow.length ? Math.max(...inWindow.map((s) => s.memory.heapUsed)) / 2 ** 20 : NaN,
      issues,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
