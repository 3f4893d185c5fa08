#!/usr/bin/env node
// Bundles the compiled program (dist/) into dist/bundle/, the build the CLI runs: each actor's
// thread then loads its entry and a few shared chunks instead of some seventy modules (ES module
// loading was about half of an actor's start, on the way to the first drawing). The tree keeps
// the compiled paths (dist/X -> dist/bundle/X), so runtime/build-root.js finds a module by the
// same name in either build. The tests load dist/ itself, and run the bundle's CLI as users do.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const out = join(dist, 'bundle');

/** Every actor module under dist/actors, found as the supervisor names them (actor.js). */
const actorModules = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? actorModules(join(dir, e.name)) : e.name === 'actor.js' ? [join(dir, e.name)] : [],
  );

// The threads' entries: the CLI (the main thread), the actor host and the actors it loads, the compressor threads.
const entryPoints = [
  join(dist, 'actors/root/cli.js'),
  join(dist, 'runtime/actor-host.js'),
  join(dist, 'actors/pipeline/compressor-pool/task.js'),
  ...actorModules(join(dist, 'actors')),
];
rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints,
  outbase: dist,
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // The native addon is loaded by its path at run time; CommonJS packages (msgpackr) call require.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
});

// Each actor's thread, beside its module: the actor host and the actor in one CommonJS file, run
// by runtime/thread-loader.cjs (the threads' entry) from V8's code cache of it (the cache needs a
// script, which an ES module graph of shared chunks is not); the main thread's likewise.
const actors = actorModules(join(dist, 'actors'));
const threads = await build({
  entryPoints: [
    ...actors.map((module) => ({ in: `thread:${module}`, out: relative(dist, join(module, '../thread')) })),
    { in: join(dist, 'runtime/thread-loader.cjs'), out: 'runtime/thread-loader' },
    // The main thread's: cli.js sets V8's flags and runs cli-main.cjs through cached-script.cjs.
    { in: join(dist, 'actors/root/cli-main.js'), out: 'actors/root/cli-main' },
    { in: join(dist, 'runtime/cached-script.cjs'), out: 'runtime/cached-script' },
  ],
  outdir: out,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // import() becomes require(): the files run as vm.Scripts (runtime/cached-script.cts), which have no module loader.
  supported: { 'dynamic-import': false },
  // import.meta.url is the file's own URL there too (the build root and the native addon are found from it).
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [
    {
      name: 'thread-entries',
      setup(b) {
        b.onResolve({ filter: /^thread:/ }, (a) => ({ path: a.path.slice('thread:'.length), namespace: 'thread' }));
        b.onLoad({ filter: /.*/, namespace: 'thread' }, (a) => ({
          resolveDir: dist,
          contents: [
            "import { runActorThread } from './runtime/actor-thread.js';",
            `import definition from ${JSON.stringify(a.path)};`,
            'void runActorThread(async () => definition);',
          ].join('\n'),
        }));
      },
    },
  ],
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
});
const files = [result, threads].flatMap((r) => Object.keys(r.metafile.outputs)).filter((f) => /\.c?js$/.test(f));
process.stdout.write(
  `bundle: ${entryPoints.length} entries and ${actors.length} actor threads, ${files.length} files in ${relative(process.cwd(), out) || '.'}\n`,
);
