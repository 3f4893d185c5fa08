/** The movie rows as text: per link and size, a row per server and codec. */
import { table } from '../stats.js';
import { byThread } from './table.js';
import type { BootFigures } from './results.js';

const header = [
  'server',
  'codec',
  'display kbit/s',
  'frames shown/s',
  'guest fps',
  'SSIM mean',
  'SSIM min',
  'latency p50 ms',
  'p95 ms',
  'markers shown',
  'server CPU %',
  'sum CPU %',
];

const mean = (v: readonly number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);

export function formatMovieBlock(boots: readonly BootFigures[], linkText: string): string {
  const rows = boots.flatMap((b) => {
    const w = b.workloads.find((x) => x.workload === 'movie');
    if (!w) return [];
    const m = w.movie;
    const ssim = m?.ssim ?? [];
    return [
      [
        b.server,
        b.movie?.codec ?? '-',
        (w.bytesPerS.display * 8) / 1000,
        m?.framesShownPerS ?? '-',
        m?.guestFps ?? '-',
        mean(ssim)?.toFixed(4) ?? '-',
        ssim.length ? Math.min(...ssim).toFixed(4) : '-',
        w.latency.p50Ms ?? '-',
        w.latency.p95Ms ?? '-',
        `${w.latency.shown}/${w.latency.announced}`,
        w.cpu.serverThreads * 100,
        w.cpu.sum * 100,
      ],
    ];
  });
  const first = boots[0];
  return [
    `movie ${first?.movie?.width}x${first?.movie?.height} full screen, ${linkText}`,
    table(header, rows),
    'ours, server CPU % by thread:',
    ...boots.filter((b) => b.server === 'ours').flatMap((b) => b.workloads.map((w) => `  ${b.movie?.codec}: ${byThread(w)}`)),
  ].join('\n');
}
