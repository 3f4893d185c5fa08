import { writeFileSync } from 'node:fs';
import { parseArgs } from '../../config/flags.js';
import { ConfigError, loadConfig, type Loaded } from '../../config/load.js';
import { createLogger } from '../../runtime/log.js';
import { configuredHost, startCompanion, StartError } from './companion.js';
import { parseSize } from '../../config/setting.js';
import { version } from './version.js';

// What only a command that serves nothing needs (help text, capabilities, the still frame) is
// loaded by that command: the main thread's module graph is on the way to the port opening.

async function printConfig({ config, sources }: Loaded): Promise<void> {
  const [{ leaves }, { formatValue }, { describeSource }] = await Promise.all([
    import('../../config/settings.js'),
    import('../../config/docs.js'),
    import('../../config/sources.js'),
  ]);
  for (const leaf of leaves()) {
    const value = leaf.path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
    process.stdout.write(`${leaf.path}: ${formatValue(leaf.setting, value) ?? 'unset'}  # ${describeSource(sources.get(leaf.path)!)}\n`);
  }
}

/** Runs the command line's command: a server, or one of the commands that answer and exit. */
export async function serve(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.command.help) {
    process.stdout.write((await import('../../config/docs.js')).helpText(version));
    process.exit(0);
  }
  if (args.command.printCapabilities) {
    process.stdout.write(JSON.stringify((await import('../../config/capabilities.js')).capabilities(version), null, 2) + '\n');
    process.exit(0);
  }
  if (args.command.version) {
    process.stdout.write(`${version}\n`);
    process.exit(0);
  }
  let loaded: Loaded;
  try {
    loaded = loadConfig({ args, env: process.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`spice-companion: ${err.message}\n`);
    process.exit(2);
  }
  if (loaded.command.printConfig) {
    await printConfig(loaded);
    process.exit(0);
  }

  if (loaded.config['dump-frame'] !== undefined) {
    if (loaded.config.demo !== 'still') {
      process.stderr.write('spice-companion: --dump-frame writes the frame of --demo still\n');
      process.exit(2);
    }
    const [{ stillFrame }, { writePpm }] = await Promise.all([import('../hosts/demo-host/scene.js'), import('../../codecs/image/ppm.js')]);
    writeFileSync(loaded.config['dump-frame'], writePpm(stillFrame(...parseSize(loaded.config['demo-size']))));
    process.exit(0);
  }

  const log = createLogger(loaded.config['log-level'], { name: 'spice-companion' });
  const companion = await startCompanion(loaded.config, log, version, await configuredHost(loaded.config)).catch((err: unknown) => {
    // What the operator must fix, in one line; anything else is a bug, logged whole.
    if (!(err instanceof StartError)) log.fatal({ err }, 'start-up failed');
    process.stderr.write(`spice-companion: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      companion.stop().then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
