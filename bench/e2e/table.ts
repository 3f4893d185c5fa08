/** The run as text: per link and size, a row per workload and server, and the our/theirs ratio row. */
import { table } from '../stats.js';
import { ratio, type BootFigures, type WorkloadFigures } from './results.js';

const header = [
  'workload',
  'server',
  'display kB/s',
  'other kB/s',
  'draws/s',
  'server CPU %',
  'QEMU non-vCPU %',
  'sum CPU %',
  'latency p50 ms',
  'p95 ms',
  'markers shown',
  'settled s',
];

const kB = (b: number) => b / 1000;
const pct = (s: number) => s * 100;
const cells = (w: WorkloadFigures): (string | number)[] => [
  kB(w.bytesPerS.display),
  kB(w.bytesPerS.total - w.bytesPerS.display),
  w.drawsPerS,
  pct(w.cpu.serverThreads),
  pct(w.cpu.qemuNonVcpu),
  pct(w.cpu.sum),
  w.latency.p50Ms ?? '-',
  w.latency.p95Ms ?? '-',
  `${w.latency.shown}/${w.latency.announced}`,
  w.settleS,
];
const x = (r: number | null): string => (r === null ? '-' : `x${r.toFixed(2)}`);

function ratioCells(o: WorkloadFigures, t: WorkloadFigures): string[] {
  return [
    x(ratio(o.bytesPerS.display, t.bytesPerS.display)),
    x(ratio(o.bytesPerS.total - o.bytesPerS.display, t.bytesPerS.total - t.bytesPerS.display)),
    x(ratio(o.drawsPerS, t.drawsPerS)),
    x(ratio(o.cpu.serverThreads, t.cpu.serverThreads)),
    x(ratio(o.cpu.qemuNonVcpu, t.cpu.qemuNonVcpu)),
    x(ratio(o.cpu.sum, t.cpu.sum)),
    x(ratio(o.latency.p50Ms, t.latency.p50Ms)),
    x(ratio(o.latency.p95Ms, t.latency.p95Ms)),
    '',
    '',
  ];
}

/** Ours per thread, largest first: "red-worker-0 8.1, display-0 3.2, ...". */
export const byThread = (w: WorkloadFigures): string =>
  Object.entries(w.companionCpuByThread)
    .filter(([, s]) => s > 0)
    .sort(([, a], [, b]) => b - a)
    .map(([name, s]) => `${name} ${pct(s).toFixed(1)}`)
    .join(', ');

const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);

/** One block: the same link and size, both servers. */
export function formatBlock(theirs: BootFigures, ours: BootFigures, linkText: string): string {
  const rows: (string | number)[][] = [];
  for (const t of theirs.workloads) {
    const o = ours.workloads.find((w) => w.workload === t.workload);
    rows.push([t.workload, 'theirs', ...cells(t)]);
    if (!o) continue;
    rows.push(['', 'ours', ...cells(o)]);
    rows.push(['', 'ours/theirs', ...ratioCells(o, t)]);
  }
  return [
    `${theirs.width}x${theirs.height}, ${linkText}`,
    `time to first drawing: theirs ${seconds(theirs.firstDrawMs)}, ours ${seconds(ours.firstDrawMs)} (${x(ratio(ours.firstDrawMs, theirs.firstDrawMs))}); ` +
      `to the first guest frame (marker): theirs ${seconds(theirs.firstGuestFrameMs)}, ours ${seconds(ours.firstGuestFrameMs)} (${x(ratio(ours.firstGuestFrameMs, theirs.firstGuestFrameMs))})`,
    table(header, rows),
    'ours, server CPU % by thread:',
    ...ours.workloads.map((w) => `  ${w.workload}: ${byThread(w)}`),
  ].join('\n');
}
