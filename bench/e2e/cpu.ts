/**
 * CPU time per thread from /proc/PID/task/TID/stat (utime + stime), sampled around a
 * measurement window, and sorted into the parts the bench compares: spice-server's worker
 * thread, QEMU's vCPU threads, QEMU's other threads (main loop: VGA dirty tracking, the spice
 * channels' I/O, D-Bus), and a whole process (the companion).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of utime and stime. */
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ThreadTime {
  readonly tid: number;
  /** The thread's name (comm): QEMU names its threads with `-name ...,debug-threads=on`. */
  readonly name: string;
  /** CPU seconds, user and system. */
  readonly seconds: number;
}

/** The threads of a process now; empty when it is gone. */
export function threadTimes(pid: number): ThreadTime[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // "tid (comm) state ...": comm may hold spaces and parentheses, so split at the last ')'.
      const open = stat.indexOf('('), close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' '); // fields[0] is field 3 (state)
      const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 utime, 15 stime
      return [{ tid: Number(tid), name: stat.slice(open + 1, close), seconds: ticks / ticksPerSecond }];
    } catch {
      return []; // ended between the listing and the read
    }
  });
}

/** CPU seconds each thread spent between two readings (threads born in between count from zero). */
export function spent(before: readonly ThreadTime[], after: readonly ThreadTime[]): ThreadTime[] {
  const start = new Map(before.map((t) => [t.tid, t.seconds]));
  return after.map((t) => ({ ...t, seconds: t.seconds - (start.get(t.tid) ?? 0) }));
}

export type QemuThreadKind = 'spice-worker' | 'vcpu' | 'qemu-other';

/** spice-server names its display worker "SPICE Worker"; QEMU its TCG vCPUs "CPU n/TCG" (KVM: "CPU n/KVM"). */
export function qemuThreadKind(name: string): QemuThreadKind {
  if (name === 'SPICE Worker') return 'spice-worker';
  if (/^CPU \d+\//.test(name)) return 'vcpu';
  return 'qemu-other';
}

export const sumSeconds = (threads: readonly ThreadTime[]): number => threads.reduce((s, t) => s + t.seconds, 0);

/** CPU seconds per second of a `seconds`-long window, summed by thread name. */
export function secondsByName(threads: readonly ThreadTime[], seconds: number): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const t of threads) sums[t.name] = (sums[t.name] ?? 0) + t.seconds / seconds;
  return sums;
}
