/**
 * CPU time per thread of a process, from /proc/PID/task/TID/schedstat (nanoseconds on a CPU;
 * stat's utime + stime where it is missing, in 10 ms ticks: too coarse for an idle thread's
 * share over a few seconds), with the thread's name: what each actor costs (actors run on
 * threads named after them) for the benches' figures and the tests that count threads by name.
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
  /** Times the thread was put on a CPU (schedstat's third field): its wake-ups, and preemptions; 0 without schedstat. */
  readonly runs: number;
}

/**
 * The threads of a process now; empty when it is gone. `mainName` names its main thread: node
 * calls it "node" like V8's and libuv's helper threads (GC, compilers, the file pool), whose
 * CPU would otherwise be counted as the main thread's.
 */
export function threadTimes(pid: number, mainName?: string): ThreadTime[] {
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
      const open = stat.indexOf('('),
        close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' '); // fields[0] is field 3 (state)
      const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 utime, 15 stime
      const name = mainName !== undefined && Number(tid) === pid ? mainName : stat.slice(open + 1, close);
      const [ns, runs] = schedstat(pid, tid);
      return [{ tid: Number(tid), name, seconds: ns / 1e9 || ticks / ticksPerSecond, runs }];
    } catch {
      return []; // ended between the listing and the read
    }
  });
}

/** Nanoseconds the thread has run on a CPU and the times it was put on one (schedstat's first and third fields); NaN and 0 without schedstat. */
function schedstat(pid: number, tid: string): [number, number] {
  try {
    const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
    return [Number(fields[0]), Number(fields[2])];
  } catch {
    return [Number.NaN, 0];
  }
}
