/**
 * npm run bench:profile -- cpu|doctor|flame|perf [--workload desktop] [--seconds 20] [--size 1024x768] [--images auto_lz]
 *
 * Profiles the companion in bench:e2e's own scenario for "ours" (QEMU -display dbus with the
 * test guest drawing the workload, the companion beside it, our client decoding everything) and
 * prints, per thread (named by the actor it hosts), what the window cost:
 *  - cpu: node --cpu-prof in every thread: busy time and the functions that took it;
 *  - doctor: clinic doctor, sampled in every thread (doctor-per-thread.cjs): event-loop delay,
 *    utilisation, heap, doctor's verdicts; its HTML report is for the main thread;
 *  - flame: clinic flame (0x): a flame graph of the main thread only (0x follows no workers);
 *  - perf: `perf record -e cpu-clock` of the whole process: time on a CPU per thread and symbol,
 *    V8's compiler and collector and the kernel's side of syscalls included (JS named through
 *    node's --perf-basic-prof map).
 * Profiles stay in dist/bench/profile-TOOL-DATE/.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildGuest } from '../../guest/guest.js';
import { measureBoot, type Plan } from '../e2e/measure.js';
import type { BenchWorkload } from '../e2e/results.js';
import { freePort, imageProfiles, type CompanionNode } from '../e2e/servers.js';
import { readCpuProfiles } from './cpu-profiles.js';
import { readDoctor } from './doctor-data.js';
import { readPerfSamples } from './perf-samples.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    workload: { type: 'string', default: 'desktop' },
    seconds: { type: 'string', default: '20' },
    size: { type: 'string', default: '1024x768' },
    images: { type: 'string', default: 'auto_lz' },
  },
});
const tool = positionals[0];
if (tool !== 'cpu' && tool !== 'doctor' && tool !== 'flame' && tool !== 'perf')
  throw new Error('usage: bench:profile -- cpu|doctor|flame|perf [--workload NAME] [--seconds N] [--size WxH] [--images auto_lz|defaults]');
const workload = args.workload as BenchWorkload;
const imageProfile = args.images as keyof typeof imageProfiles;
if (!(imageProfile in imageProfiles)) throw new Error(`--images: one of ${Object.keys(imageProfiles).join(', ')}`);
const [width, height] = args.size.split('x').map(Number) as [number, number];
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const dest = join(repoRoot, 'dist', 'bench', `profile-${tool}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
mkdirSync(dest, { recursive: true });
const clinic = join(repoRoot, 'node_modules', '.bin', 'clinic');
// Without it clinic asks on the terminal whether it may send usage statistics, and waits.
process.env.NO_INSIGHT = '1';

/** The companion's actors by thread id, from its "actor started" log lines. */
const actorThreads = new Map<number, string>([[0, 'main thread (supervisor)']]);
/** The companion's own pid (under clinic, the child of the process spawned), from its log lines. */
let companionPid = 0;
let partial = '';
const onOutput = (chunk: string) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop()!;
  for (const line of lines) {
    // The profiler's own lines (clinic's progress, its errors) go through as they are.
    if (!line.startsWith('{')) {
      if (line.trim()) console.error(`  ${line}`);
      continue;
    }
    const entry = JSON.parse(line) as { msg?: string; actor?: string; threadId?: number; pid?: number };
    if (entry.pid) companionPid = entry.pid;
    if (entry.msg === 'actor started' && entry.actor && entry.threadId !== undefined) actorThreads.set(entry.threadId, entry.actor);
  }
};
const node = process.execPath;
const perfHz = 999;
const perfData = join(dest, 'perf.data');
const companionNode = (
  {
    cpu: { command: [node, '--cpu-prof', '--cpu-prof-dir', dest], stopSignal: 'SIGTERM', stopGraceMs: 30_000, logLevel: 'debug', onOutput },
    doctor: {
      command: [
        clinic,
        'doctor',
        '--open=false',
        '--dest',
        dest,
        '--',
        node,
        '-r',
        fileURLToPath(new URL('../../../bench/profile/doctor-per-thread.cjs', import.meta.url)),
      ],
      stopSignal: 'SIGINT',
      stopPid: () => companionPid || undefined,
      stopGraceMs: 180_000,
      logLevel: 'debug',
      onOutput,
    },
    flame: {
      command: [clinic, 'flame', '--open=false', '--dest', dest, '--', node],
      stopSignal: 'SIGINT',
      stopPid: () => companionPid || undefined,
      stopGraceMs: 180_000,
      logLevel: 'debug',
      onOutput,
    },
    perf: {
      command: [
        'perf',
        'record',
        '-q',
        '-k',
        'CLOCK_MONOTONIC',
        '-e',
        'cpu-clock',
        '-g',
        '-F',
        String(perfHz),
        '-o',
        perfData,
        '--',
        node,
        '--perf-basic-prof-only-functions',
        '--interpreted-frames-native-stack',
      ],
      stopSignal: 'SIGTERM',
      stopPid: () => companionPid || undefined,
      stopGraceMs: 30_000,
      logLevel: 'debug',
      onOutput,
    },
  } satisfies Record<string, CompanionNode>
)[tool];

let window = { fromNs: 0n, toNs: 0n, fromMs: 0, toMs: 0 };
const plan: Plan = {
  workloads: [workload],
  settleMs: 1_500,
  settleMaxMs: 8_000,
  windowMs: Number(args.seconds) * 1000,
  onWindow: (_, fromNs, toNs) => {
    const toMs = Date.now();
    window = { fromNs, toNs, fromMs: toMs - Number(toNs - fromNs) / 1e6, toMs };
  },
};
const port = await freePort();
const image = await buildGuest();
const figures = await measureBoot(
  'ours',
  {
    image,
    width,
    height,
    vga: 'virtio',
    profile: imageProfile,
    images: imageProfiles[imageProfile],
    link: 'plain',
    addr: '127.0.0.1',
    port,
    companionNode,
    clientTarget: async (s) => ({ host: '127.0.0.1', port: s.port, close: async () => {} }),
  },
  plan,
);
const w = figures.workloads[0]!;
// Under clinic the process measured is clinic's own, with the companion its child: no CPU figure then.
const cpu = tool === 'cpu' ? `companion CPU ${(w.cpu.serverThreads * 100).toFixed(1)} % of a core (profiler included), ` : '';
const lines = [
  `bench:profile ${tool}: the companion on the ${workload} workload at ${width}x${height}, a ${args.seconds} s window`,
  `window: ${cpu}QEMU non-vCPU ${(w.cpu.qemuNonVcpu * 100).toFixed(1)} %; display ${(w.bytesPerS.display / 1000).toFixed(1)} kB/s, ${w.drawsPerS.toFixed(1)} draws/s; latency p50 ${w.latency.p50Ms?.toFixed(2)} ms`,
];
if (tool === 'cpu') {
  for (const t of readCpuProfiles(dest, actorThreads, window)) {
    lines.push(
      `\n${t.name} (thread ${t.threadId}): busy ${t.busyS.toFixed(2)} s (${(((t.busyS * 1e9) / Number(window.toNs - window.fromNs)) * 100).toFixed(1)} %)`,
    );
    for (const f of t.top) lines.push(`  ${(f.selfS * 1000).toFixed(0).padStart(6)} ms  ${f.fn}`);
  }
} else if (tool === 'perf') {
  const windowMs = Number(window.toNs - window.fromNs) / 1e6;
  const threads = readPerfSamples(perfData, window, perfHz);
  // Threads with a share of the companion's own samples: on the idle workload every thread is
  // under 0.5 % of a core, which an absolute floor left out, all of them.
  const totalMs = threads.reduce((sum, t) => sum + t.cpuMs, 0);
  for (const t of threads) {
    if (t.cpuMs < totalMs / 50) continue;
    lines.push(`\n${t.name}: on a CPU ${t.cpuMs.toFixed(0)} ms (${((t.cpuMs / windowMs) * 100).toFixed(1)} % of a core)`);
    lines.push(`  by what ran: ${t.kinds.map(([k, ms]) => `${k} ${ms.toFixed(0)}`).join(', ')}`);
    lines.push('  by the innermost JS function on the stack (ms):');
    for (const [fn, ms] of t.owners) lines.push(`  ${ms.toFixed(0).padStart(6)}  ${fn}`);
  }
} else if (tool === 'doctor') {
  lines.push('', 'thread                     samples  delay p50 / p99 / max ms   loop util %  heap max MiB  doctor');
  for (const t of await readDoctor(dest, companionPid, window)) {
    lines.push(
      `${t.name.padEnd(26)} ${String(t.samples).padStart(7)}  ${t.delayP50Ms.toFixed(1).padStart(6)} / ${t.delayP99Ms.toFixed(1).padStart(5)} / ${t.delayMaxMs.toFixed(1).padStart(6)}   ${t.loopUtilization?.toFixed(0).padStart(8) ?? '       -'}  ${t.heapMaxMiB.toFixed(0).padStart(12)}  ${JSON.stringify(t.issues)}`,
    );
  }
} else {
  lines.push(
    '',
    `flame graph (main thread): ${readdirSync(dest)
      .filter((f) => f.endsWith('.html'))
      .map((f) => join(dest, f))
      .join(', ')}`,
  );
}
lines.push('', `profiles in ${dest}`);
writeFileSync(join(dest, 'summary.txt'), lines.join('\n') + '\n');
console.log(lines.join('\n'));
