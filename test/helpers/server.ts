import { parseArgs } from '../../config/flags.js';
import { loadConfig } from '../../config/load.js';
import { startCompanion, type Companion } from '../../actors/server/companion.js';
import { createLogger, type Logger } from '../../runtime/log.js';
import type { ActorRef } from '../../runtime/supervisor.js';
import type { RecordingHostContract } from '../fixtures/actors/recording-host.js';

export interface TestServer {
  readonly companion: Companion;
  readonly port: number;
  readonly tlsPort: number | null;
  readonly host: ActorRef<RecordingHostContract>;
  stop(): Promise<void>;
}

/**
 * The companion in this process on a free port, with a recording host; `flags` as on the command
 * line. Logs are silent unless SPICE_TEST_LOG names a level.
 */
export async function startTestServer(flags: readonly string[] = [], log?: Logger): Promise<TestServer> {
  const { config } = loadConfig({ args: parseArgs(['--port', '0', '--log-level', process.env.SPICE_TEST_LOG ?? 'silent', ...flags]), env: {} });
  const logger = log ?? createLogger(config['log-level']);
  const companion = await startCompanion(config, logger, 'test', { module: new URL('../fixtures/actors/recording-host.js', import.meta.url) });
  return {
    companion,
    port: companion.port!,
    tlsPort: companion.tlsPort,
    host: companion.host as unknown as ActorRef<RecordingHostContract>,
    stop: () => companion.stop(),
  };
}
