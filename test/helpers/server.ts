import { parseArgs } from '../../config/flags.js';
import { loadConfig } from '../../config/load.js';
import { configuredHost, startCompanion, type Companion, type HostSpec } from '../../actors/root/companion.js';
import { createLogger, type Logger } from '../../runtime/log.js';
import type { ActorRef } from '../../runtime/supervisor.js';
import type { RecordingHostContract } from '../fixtures/actors/recording-host.js';
import type { QxlTestHostContract } from '../fixtures/actors/qxl-test-host.js';
import type { AudioHostContract } from '../fixtures/actors/audio-host.js';
import type { ExecutionContext } from 'ava';
import type { BridgeStats, QemuBridgeContract } from '../../actors/contracts.js';
import { startBus, type PrivateBus } from './dbus-daemon.js';

/** Flags as on the command line, on a free plain port unless unix or `plainPort: false`, logs silent unless SPICE_TEST_LOG names a level. */
function testConfig(flags: readonly string[], plainPort = !flags.includes('--unix')) {
  return loadConfig({
    args: parseArgs([...(plainPort ? ['--port', '0'] : []), '--log-level', process.env.SPICE_TEST_LOG ?? 'silent', ...flags]),
    env: {},
  }).config;
}

export interface TestServer {
  readonly companion: Companion;
  readonly port: number;
  readonly tlsPort: number | null;
  readonly host: ActorRef<RecordingHostContract>;
  stop(): Promise<void>;
}

/**
 * The companion in this process on a free port, with a recording host; `flags` as on the command
 * line; `monitorsConfig`: the host takes client monitor layouts (the main channel serves an
 * agent). Logs are silent unless SPICE_TEST_LOG names a level.
 */
export async function startTestServer(
  flags: readonly string[] = [],
  log?: Logger,
  { monitorsConfig = false, plainPort }: { monitorsConfig?: boolean; plainPort?: boolean } = {},
): Promise<TestServer> {
  const config = testConfig(flags, plainPort);
  const logger = log ?? createLogger(config['log-level']);
  const companion = await startCompanion(config, logger, 'test', {
    module: new URL('../fixtures/actors/recording-host.js', import.meta.url),
    monitorsConfig,
  });
  return {
    companion,
    port: companion.port!,
    tlsPort: companion.tlsPort,
    host: companion.host as unknown as ActorRef<RecordingHostContract>,
    stop: () => companion.stop(),
  };
}

/** The companion in this process as the CLI runs it: the host the flags ask for (e.g. --demo still). */
export async function startConfiguredServer(
  flags: readonly string[],
): Promise<{ companion: Companion; hostSpec: HostSpec | undefined; port: number; stop(): Promise<void> }> {
  const config = testConfig(flags);
  const hostSpec = await configuredHost(config);
  const companion = await startCompanion(config, createLogger(config['log-level']), 'test', hostSpec);
  return { companion, hostSpec, port: companion.port!, stop: () => companion.stop() };
}

/**
 * A private bus and the companion on it (`--qemu-dbus`, no ticketing, `flags` after), both
 * stopped with the test; `stats` reads the QEMU bridge's figures.
 */
export async function companionOnBus(
  t: ExecutionContext,
  flags: readonly string[] = [],
): Promise<{ bus: PrivateBus; server: Awaited<ReturnType<typeof startConfiguredServer>>; stats(reset?: boolean): Promise<BridgeStats> }> {
  const bus = await startBus();
  t.teardown(() => bus.stop());
  const server = await startConfiguredServer(['--disable-ticketing', '--qemu-dbus', bus.address, ...flags]);
  t.teardown(() => server.stop());
  const bridge = server.companion.host as unknown as ActorRef<QemuBridgeContract>;
  return { bus, server, stats: (reset = false) => bridge.link.ask({ kind: 'stats', reset }) };
}

/** The companion with a display fed by test/fixtures/actors/qxl-test-host.ts. */
export async function startDisplayTestServer(flags: readonly string[], size: QxlTestHostContract['init']) {
  const config = testConfig(flags);
  const companion = await startCompanion(config, createLogger(config['log-level']), 'test', {
    module: new URL('../fixtures/actors/qxl-test-host.js', import.meta.url),
    init: size,
    display: true,
  });
  return {
    companion,
    port: companion.port!,
    host: companion.host as unknown as ActorRef<QxlTestHostContract>,
    stop: () => companion.stop(),
  };
}

/** The companion with sound from test/fixtures/actors/audio-host.ts. */
export async function startAudioTestServer(flags: readonly string[] = []) {
  const config = testConfig(flags);
  const companion = await startCompanion(config, createLogger(config['log-level']), 'test', {
    module: new URL('../fixtures/actors/audio-host.js', import.meta.url),
  });
  return { companion, port: companion.port!, host: companion.host as unknown as ActorRef<AudioHostContract>, stop: () => companion.stop() };
}
