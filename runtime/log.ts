import { writeSync } from 'node:fs';

/**
 * Structured JSON lines on stdout, in pino's shape (`level` as pino's number, `time` in epoch ms,
 * `pid`, the bindings, the fields, `msg`), written by a few lines of our own: pino and its
 * dependencies cost every actor thread ~40 ms of CPU to load, and each actor is a thread booted
 * on the way to a client's first picture. Synchronous writes: every thread writes whole lines
 * itself, so a line logged just before a worker dies is not lost in a relay to the main thread.
 */

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
type Method = Exclude<LogLevel, 'silent'>;

/** pino's numbers, which log readers (and our tests and benches) know. */
const levelValue: Record<LogLevel, number> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10, silent: Infinity };

export interface LogFn {
  (fields: object, msg?: string): void;
  (msg: string): void;
}

/** A method per level. */
type LevelMethods = { readonly [M in Method]: LogFn };

/** The logger every part takes; pino's Logger has this shape too. */
export type Logger = LevelMethods & {
  child(bindings: Record<string, unknown>): Logger;
  isLevelEnabled(level: string): boolean;
};

/** An Error as pino's standard serializer writes it: its class, message, stack and own fields. */
function errorFields(err: Error): Record<string, unknown> {
  return { type: err.constructor.name, ...err, message: err.message, stack: err.stack };
}

/** JSON that a BigInt, a cycle or an Error inside the fields does not break. */
function stringify(record: Record<string, unknown>): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(record, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    return value instanceof Error ? errorFields(value) : value;
  });
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `line`; stdout may be a non-blocking pipe that is full for a moment (then waits, up to a second, and drops the rest). */
function writeLine(line: string): void {
  let bytes = Buffer.from(line);
  for (let waitedMs = 0; bytes.length > 0; ) {
    try {
      bytes = bytes.subarray(writeSync(1, bytes));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || waitedMs >= 1_000) return;
      Atomics.wait(pause, 0, 0, 10);
      waitedMs += 10;
    }
  }
}

function jsonLogger(level: LogLevel, bindings: Record<string, unknown>, sink: (line: string) => void): Logger {
  const method = (name: Method): LogFn => {
    const value = levelValue[name];
    if (value < levelValue[level]) return () => {};
    return (fields: object | string, msg?: string) => {
      const own =
        typeof fields === 'string'
          ? { msg: fields }
          : fields instanceof Error
            ? { err: fields, msg: msg ?? fields.message }
            : { ...fields, msg };
      sink(`${stringify({ level: value, time: Date.now(), ...bindings, ...own })}\n`);
    };
  };
  const methods = logLevels.filter((l): l is Method => l !== 'silent').map((name) => [name, method(name)]);
  return {
    ...(Object.fromEntries(methods) as LevelMethods),
    child: (more) => jsonLogger(level, { ...bindings, ...more }, sink),
    isLevelEnabled: (l) => l in levelValue && levelValue[l as LogLevel] >= levelValue[level],
  };
}

/** A logger writing to stdout, or to `sink` (a test reading the lines). */
export function createLogger(level: LogLevel, bindings: Record<string, unknown> = {}, sink: (line: string) => void = writeLine): Logger {
  return jsonLogger(level, { pid: process.pid, ...bindings }, sink);
}
