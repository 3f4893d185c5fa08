import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The command-line entry point users run: the bundled build's (actors/root/bundle.mjs). */
export const cliPath = fileURLToPath(new URL('../../bundle/actors/root/cli.js', import.meta.url));

export interface CliProcess {
  readonly child: ChildProcess;
  /** The JSON log lines printed so far. */
  readonly lines: Record<string, unknown>[];
  /** The first log line with this `msg`, once printed. */
  lineWith(msg: string): Promise<Record<string, unknown>>;
  /** The exit code, once exited. */
  readonly exited: Promise<number | null>;
}

/**
 * `spice-companion ARGS` in a child process, its JSON log lines collected; `maxFds` runs it under
 * that open-file limit (`ulimit -n`); `env` adds to its environment; `entry`: another checkout's cli.js.
 */
export function startCli(
  args: readonly string[],
  { maxFds, env, entry = cliPath }: { maxFds?: number; env?: Record<string, string>; entry?: string } = {},
): CliProcess {
  const options: SpawnOptions = { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } };
  const child =
    maxFds === undefined
      ? spawn(process.execPath, [entry, ...args], options)
      : spawn('bash', ['-c', `ulimit -n ${maxFds} && exec "$0" "$@"`, process.execPath, entry, ...args], options);
  const lines: Record<string, unknown>[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(JSON.parse(l) as Record<string, unknown>);
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => (waiters.splice(0).forEach((w) => w()), resolve(code))),
  );
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  const lineWith = async (msg: string) => {
    for (;;) {
      const found = lines.find((l) => l.msg === msg);
      if (found) return found;
      if (exitCode !== undefined) throw new Error(`spice-companion exited (${exitCode}) before logging '${msg}'`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { child, lines, lineWith, exited };
}
