import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Where the running build's files are, counted from a folder found on disk rather than from this
// module's own URL: in the bundled build (dist/bundle/, what the CLI runs) this code sits in a
// chunk, one folder away from where the compiled tree (dist/) has it. Only imports node: the
// CLI's entry uses it before loading anything else.

const here = dirname(fileURLToPath(import.meta.url));

/** The nearest folder up from `from` holding `marker`. */
function up(from: string, marker: string): string {
  for (let dir = from; ; ) {
    if (existsSync(join(dir, marker))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`spice-companion: no ${marker} above ${from}`);
    dir = parent;
  }
}

/** The package: the nearest folder up with a package.json. */
export const packageRoot: string = up(here, 'package.json');

/** The build's root (dist/ or dist/bundle/): both have the threads' loader, runtime/thread-loader.cjs. */
const buildRoot: string = up(here, 'runtime/thread-loader.cjs');

/** A module of the running build, by its path in the source tree with a .js name (e.g. `actors/server/actor.js`). */
export const buildModule = (path: string): URL => pathToFileURL(join(buildRoot, path));
