/** The run as text: per link and size, a row per workload and server, and the our/theirs ratio row. */
import { table } from '../stats.js';
import type { ImageTypeName } from '../../client/display.js';
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

/** Ours per thread, largest first, with the times a second it was put on a CPU: "red-worker-0 8.1 (52/s), display-0 3.2 (40/s), ...". */
export const byThread = (w: WorkloadFigures): string =>
  Object.entries(w.companionCpuByThread)
    .filter(([, s]) => s > 0)
    .sort(([, a], [, b]) => b - a)
    .map(([name, s]) => `${name} ${pct(s).toFixed(1)}${runs(w.serverRunsByThread?.[name])}`)
    .join(', ');

const runs = (perS: number | undefined): string => (perS === undefined ? '' : ` (${perS.toFixed(0)}/s)`);

const audioHeader = ['workload', 'server', 'playback kB/s', 'audio p50 ms', 'p95 ms', 'bursts heard', 'guest buffer ms', 'sum CPU %'];

/** The tone workloads' audio: guest write -> client receive of each burst (beep.ts). */
function audioRows(theirs: BootFigures, ours: BootFigures): (string | number)[][] {
  const cells = (w: WorkloadFigures): (string | number)[] => [
    kB(w.bytesPerS.playback),
    w.audio?.p50Ms ?? '-',
    w.audio?.p95Ms ?? '-',
    w.audio ? `${w.audio.heard}/${w.audio.announced}` : '-',
    w.audio?.guestQueuedMsP50 ?? '-',
    pct(w.cpu.sum),
  ];
  return theirs.workloads.flatMap((t) => {
    const o = ours.workloads.find((w) => w.workload === t.workload);
    if (!t.audio || !o) return [];
    return [
      [t.workload, 'theirs', ...cells(t)],
      ['', 'ours', ...cells(o)],
      [
        '',
        'ours/theirs',
        x(ratio(o.bytesPerS.playback, t.bytesPerS.playback)),
        x(ratio(o.audio?.p50Ms, t.audio?.p50Ms)),
        x(ratio(o.audio?.p95Ms, t.audio?.p95Ms)),
        '',
        '',
        x(ratio(o.cpu.sum, t.cpu.sum)),
      ],
    ];
  });
}

const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);

const contentHeader = [
  'workload',
  'server',
  'display kB/s',
  'images/s',
  'payload by image type',
  'cache hits/s',
  'copy-bits/s',
  'fills/s',
  'rows one colour %',
  'unchanged %',
  'moved %',
  'analysed %',
];

const share = (part: number, whole: number) => (whole > 0 ? (100 * part) / whole : 0);

/** "glzRgb 91% (412/s), jpeg 9% (3.0/s)": each type's share of the image payload bytes, largest first. */
function byType(w: WorkloadFigures): string {
  const images = Object.entries(w.display.images) as [ImageTypeName, { perS: number; bytesPerS: number }][];
  const payload = images.reduce((s, [, i]) => s + i.bytesPerS, 0);
  return images
    .filter(([, i]) => i.perS > 0)
    .sort(([, a], [, b]) => b.bytesPerS - a.bytesPerS)
    .map(([type, i]) => `${type} ${share(i.bytesPerS, payload).toFixed(0)}% (${i.perS.toFixed(1)}/s)`)
    .join(', ');
}

function contentCells(w: WorkloadFigures): (string | number)[] {
  const d = w.display;
  const images = Object.values(d.images).reduce((s, i) => s + i.perS, 0);
  const cacheHits = (d.images.fromCache?.perS ?? 0) + (d.images.fromCacheLossless?.perS ?? 0);
  const r = d.rows;
  return [
    kB(w.bytesPerS.display),
    images,
    byType(w) || '-',
    cacheHits,
    d.copyBitsPerS,
    d.fillsPerS,
    share(r.uniformBytes, r.analysedBytes),
    share(r.unchangedBytes, r.analysedBytes),
    share(r.movedBytes, r.analysedBytes),
    share(r.analysedBytes, r.analysedBytes + r.skippedBytes),
  ];
}

/** What the display bytes were, per workload and server: image types, cache hits, copy-bits, fills, and where the images' rows already were. */
function contentTable(theirs: BootFigures, ours: BootFigures): string {
  const rows = theirs.workloads.flatMap((t) => {
    const o = ours.workloads.find((w) => w.workload === t.workload);
    return [[t.workload, 'theirs', ...contentCells(t)], ...(o ? [['', 'ours', ...contentCells(o)]] : [])];
  });
  return table(contentHeader, rows);
}

/** Display bytes ours/theirs for every block of the run, against the goal for the defaults (≤ 0.5 on text and desktop). */
export function formatSummary(boots: readonly BootFigures[]): string {
  const rows: (string | number)[][] = [];
  for (const o of boots.filter((b) => b.server === 'ours')) {
    const t = boots.find((b) => b.server === 'theirs' && b.profile === o.profile && b.link === o.link && b.width === o.width);
    if (!t) continue;
    for (const ow of o.workloads) {
      const tw = t.workloads.find((w) => w.workload === ow.workload);
      if (!tw) continue;
      const r = ratio(ow.bytesPerS.display, tw.bytesPerS.display);
      const goal = o.profile === 'defaults' && (ow.workload === 'text' || ow.workload === 'desktop');
      rows.push([
        o.profile,
        o.link,
        `${o.width}x${o.height}`,
        ow.workload,
        kB(tw.bytesPerS.display),
        kB(ow.bytesPerS.display),
        x(r),
        goal ? (r !== null && r <= 0.5 ? 'met' : 'not met') : '',
      ]);
    }
  }
  return table(['images', 'link', 'size', 'workload', 'theirs display kB/s', 'ours display kB/s', 'ours/theirs', 'goal ≤ x0.50'], rows);
}

/** The image settings of a block, with ours' where they differ. */
function settingsText(theirs: BootFigures, ours: BootFigures): string {
  const all = (b: BootFigures) =>
    Object.entries(b.images)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
  return all(theirs) === all(ours) ? all(theirs) : `theirs ${all(theirs)}; ours ${all(ours)}`;
}

/** One block: the same images profile, link and size, both servers. */
export function formatBlock(theirs: BootFigures, ours: BootFigures, linkText: string): string {
  const audio = audioRows(theirs, ours);
  const rows: (string | number)[][] = [];
  for (const t of theirs.workloads) {
    const o = ours.workloads.find((w) => w.workload === t.workload);
    rows.push([t.workload, 'theirs', ...cells(t)]);
    if (!o) continue;
    rows.push(['', 'ours', ...cells(o)]);
    rows.push(['', 'ours/theirs', ...ratioCells(o, t)]);
  }
  return [
    `${theirs.width}x${theirs.height}, ${linkText}, images ${theirs.profile}: ${settingsText(theirs, ours)}`,
    `time to first drawing: theirs ${seconds(theirs.firstDrawMs)}, ours ${seconds(ours.firstDrawMs)} (${x(ratio(ours.firstDrawMs, theirs.firstDrawMs))}); ` +
      `to the first guest frame (marker): theirs ${seconds(theirs.firstGuestFrameMs)}, ours ${seconds(ours.firstGuestFrameMs)} (${x(ratio(ours.firstGuestFrameMs, theirs.firstGuestFrameMs))})`,
    table(header, rows),
    ...(audio.length ? ['audio, guest write -> client receive:', table(audioHeader, audio)] : []),
    'ours, server CPU % by thread (times a second on a CPU: wake-ups and preemptions; theirs, SPICE Worker):',
    ...ours.workloads.map(
      (w, i) => `  ${w.workload}: ${byThread(w)}; theirs${runs(theirs.workloads[i]?.serverRunsByThread?.['SPICE Worker'])}`,
    ),
    'what the display bytes were (as the client received them; rows: shares of the image payload already on screen, bench/README.md):',
    contentTable(theirs, ours),
  ].join('\n');
}
