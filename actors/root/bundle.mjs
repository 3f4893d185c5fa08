#!/usr/bin/env node
// Bundles the compiled program (dist/) into dist/bundle/, the build the CLI runs: each thread's
// code as one CommonJS file beside the module it stands for (`actor.js` -> `actor.cjs`: the actor
// host and the actor; the compressor threads' `task.cjs`; the main thread's `cli-main.cjs`), run
// from V8's code cache of it (runtime/cached-script.cts; a cache needs a script, which an ES
// module graph is not), and `cli.js`, the command's entry, which sets V8's flags and runs
// `cli-main.cjs`. Loading some seventy ES modules was about half of an actor's start, compiling
// its code most of the rest, on the way to the first drawing. The tree keeps the compiled paths
// (dist/X -> dist/bundle/X), so runtime/build-root.js finds a module by the same name in either
// build. The tests load dist/ itself, and run the bundle's CLI as users do.
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
const common = {
  outbase: dist,
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
};

rmSync(out, { recursive: true, force: true });
// The command's entry: node's own modules only, and cli-main (cli-main.cjs here; the import stays
// for the compiled tree, where cli-main.js is the one there is).
const entry = await build({ ...common, entryPoints: [join(dist, 'actors/root/cli.js')], format: 'esm', external: ['./cli-main.js'] });

const actors = actorModules(join(dist, 'actors'));
const threads = await build({
  ...common,
  entryPoints: [
    ...actors.map((module) => ({ in: `thread:${module}`, out: relative(dist, module).replace(/\.js$/, '') })),
    { in: join(dist, 'actors/pipeline/compressor-pool/task.js'), out: 'actors/pipeline/compressor-pool/task' },
    { in: join(dist, 'actors/root/cli-main.js'), out: 'actors/root/cli-main' },
    { in: join(dist, 'runtime/thread-loader.cjs'), out: 'runtime/thread-loader' },
    { in: join(dist, 'runtime/cached-script.cjs'), out: 'runtime/cached-script' },
  ],
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // import() becomes require(): the files run as vm.Scripts (runtime/cached-script.cts), which have no module loader.
  supported: { 'dynamic-import': false },
  // import.meta.url is the file's own URL there too (the build root and the native addon are found from it).
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [
    {
      // An actor's file: the actor host (runtime/actor-thread.js) given the actor's definition.
      name: 'actor-threads',
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
});
const files = [entry, threads].flatMap((r) => Object.keys(r.metafile.outputs)).filter((f) => /\.c?js$/.test(f));
process.stdout.write(`bundle: ${files.length} files (${actors.length} actors) in ${relative(process.cwd(), out) || '.'}\n`);
