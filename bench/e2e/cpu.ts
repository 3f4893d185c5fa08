/**
 * CPU time per thread (runtime/thread-times.ts), sampled around a measurement window, and
 * sorted into the parts the bench compares: spice-server's worker thread, QEMU's vCPU threads,
 * QEMU's other threads (main loop: VGA dirty tracking, the spice channels' I/O, D-Bus), and a
 * whole process (the companion).
 */
import type { ThreadTime } from '../../runtime/thread-times.js';

/** CPU seconds each thread spent between two readings (threads born in between count from zero). */
export function spent(before: readonly ThreadTime[], after: readonly ThreadTime[]): ThreadTime[] {
  const start = new Map(before.map((t) => [t.tid, t]));
  return after.map((t) => ({ ...t, seconds: t.seconds - (start.get(t.tid)?.seconds ?? 0), runs: t.runs - (start.get(t.tid)?.runs ?? 0) }));
}

export type QemuThreadKind = 'spice-worker' | 'vcpu' | 'qemu-other';

/** spice-server names its display worker "SPICE Worker"; QEMU its TCG vCPUs "CPU n/TCG" (KVM: "CPU n/KVM"). */
export function qemuThreadKind(name: string): QemuThreadKind {
  if (name === 'SPICE Worker') return 'spice-worker';
  if (/^CPU \d+\//.test(name)) return 'vcpu';
  return 'qemu-other';
}

export const sumSeconds = (threads: readonly ThreadTime[]): number => threads.reduce((s, t) => s + t.seconds, 0);

/** `figure` per second of a `seconds`-long window, summed by thread name (CPU seconds, or times put on a CPU). */
export function perSecondByName(
  threads: readonly ThreadTime[],
  seconds: number,
  figure: 'seconds' | 'runs' = 'seconds',
): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const t of threads) sums[t.name] = (sums[t.name] ?? 0) + t[figure] / seconds;
  return sums;
}
