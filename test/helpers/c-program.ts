import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A path in the source tree (C fixtures are not copied to dist/), from test/ or dist/test/ alike. */
export function sourcePath(relative: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package root not found');
    dir = up;
  }
  return join(dir, relative);
}

/**
 * Compiles a C test program with gcc (warnings are errors), once per source content: the
 * executable is kept in the temp dir under the source's hash. Returns its path.
 */
export function buildCProgram(relativeSource: string, flags: readonly string[] = []): string {
  const source = sourcePath(relativeSource);
  const hash = createHash('sha256').update(readFileSync(source)).update(flags.join(' ')).digest('hex').slice(0, 16);
  const out = join(tmpdir(), `spice-companion-${basename(source, '.c')}-${hash}`);
  if (!existsSync(out)) {
    const partial = `${out}.${process.pid}.partial`;
    execFileSync('gcc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', ...flags, '-o', partial, source], { stdio: ['ignore', 'inherit', 'inherit'] });
    renameSync(partial, out); // atomic: concurrent test files never run a half-written binary
  }
  return out;
}

/** The QXL producer stand-in (test/native/fixtures/qxl-producer.c), built against spice-protocol's headers. */
export const buildQxlProducer = (): string => buildCProgram('test/native/fixtures/qxl-producer.c', ['-I/usr/include/spice-1']);
