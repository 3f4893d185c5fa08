import type { Config } from '../../config/settings.js';
import type { Logger } from '../../runtime/log.js';
import type { Contract } from '../../runtime/message.js';
import { Supervisor, type ActorRef } from '../../runtime/supervisor.js';
import { ChannelType, channelActorName } from '../channels.js';
import type { ChannelAddress } from '../contracts.js';
import type { CursorContract } from '../cursor/actor.js';
import type { MainContract } from '../main/contract.js';
import type { ServerContract } from './contract.js';
import type { DisplayContract } from '../display/actor.js';
import type { RedWorkerContract } from '../red-worker/actor.js';
import { parseSize } from '../../config/setting.js';

export interface Companion {
  readonly port: number | null;
  readonly tlsPort: number | null;
  readonly supervisor: Supervisor;
  /** The host actor (the VDI host: demo desktop, QEMU bridge, or a test's recording host). */
  readonly host: ActorRef<Contract> | null;
  readonly main: ActorRef<MainContract>;
  stop(): Promise<void>;
}

export interface HostSpec {
  readonly module: URL;
  readonly init?: unknown;
  /** The host drives a QXL device for display 0 (red-worker and display channel), or it reports the cursor itself. */
  readonly display?: boolean;
}

/** The host the configuration asks for: the QEMU bridge when a VM is given, else the demo desktop, or none. */
export function configuredHost(config: Config): HostSpec | undefined {
  const qemu = config['qemu-dbus'];
  if (qemu !== undefined) return { module: here('../qemu-bridge/actor.js'), init: { address: qemu, worker: 'red-worker-0' }, display: true };
  if (config.demo === 'off') return undefined;
  const [width, height] = parseSize(config['demo-size']);
  return { module: here('../demo-host/actor.js'), init: { mode: config.demo, width, height, worker: 'red-worker-0' }, display: true };
}

const here = (path: string) => new URL(path, import.meta.url);

/**
 * The process's root: a supervisor for the actors, and the reaction to an escalation (a crash
 * loop nobody below can fix ends the process, so that whatever runs it can restart it).
 * Actors: the server (listen, link), one per channel, and the host that feeds them.
 */
export async function startCompanion(config: Config, log: Logger, version: string, hostSpec?: HostSpec): Promise<Companion> {
  const supervisor = new Supervisor({ log, logLevel: config['log-level'] });
  supervisor.events$.subscribe((e) => {
    if (e.type === 'escalated') {
      log.fatal({ actor: e.actor, error: e.error }, 'actor escalated; exiting');
      void supervisor.stop().finally(() => process.exit(1));
    }
  });
  const host = hostSpec ? supervisor.spawn<Contract>({ name: 'host', module: hostSpec.module, init: hostSpec.init ?? {} }) : null;
  const display = hostSpec?.display === true;
  // Registration order; the main channel lists them newest first, as spice-server does.
  const channels: ChannelAddress[] = [
    { type: ChannelType.inputs, id: 0 },
    { type: ChannelType.cursor, id: 0 },
    ...(display ? [{ type: ChannelType.display, id: 0 }] : []),
  ];
  const main = supervisor.spawn<MainContract>({
    name: 'main',
    module: here('../main/actor.js'),
    init: { config: { name: config.name, uuid: config.uuid }, channels, displayChannels: display ? 1 : 0 },
  });
  supervisor.spawn({ name: 'inputs', module: here('../inputs/actor.js'), init: {} });
  // With a QXL device the cursor comes through its red-worker (the cursor ring), else from the host.
  supervisor.spawn<CursorContract>({ name: 'cursor-0', module: here('../cursor/actor.js'), init: { source: display ? 'red-worker-0' : 'host' } });
  if (display) {
    supervisor.spawn<DisplayContract>({ name: 'display-0', module: here('../display/actor.js'), init: { id: 0, worker: 'red-worker-0' } });
    supervisor.spawn<RedWorkerContract>({
      name: 'red-worker-0',
      module: here('../red-worker/actor.js'),
      init: { id: 0, host: 'host', display: 'display-0', cursor: 'cursor-0', imageCompression: config['image-compression'] },
    });
    // A short link: compressed images wait in the red-worker's pipe, where newer ones can replace them.
    supervisor.connect('red-worker-0', 'display-0', { window: 4, maxQueue: 4 });
    supervisor.connect('red-worker-0', 'cursor-0');
  }
  const server = supervisor.spawn<ServerContract>({
    name: 'server',
    module: here('./actor.js'),
    init: { config, channels: [{ type: ChannelType.main, id: 0 }, ...channels] },
  });
  for (const c of [{ type: ChannelType.main, id: 0 }, ...channels]) supervisor.connect('server', channelActorName(c));
  if (host) for (const name of ['main', 'inputs', display ? 'red-worker-0' : 'cursor-0']) supervisor.connect(name, 'host');
  const listening = await new Promise<{ port: number | null; tlsPort: number | null }>((resolve, reject) => {
    const sub = server.link.messages$.subscribe((m) => {
      if (m.kind === 'listening') {
        sub.unsubscribe();
        resolve({ port: m.port, tlsPort: m.tlsPort });
      }
    });
    supervisor.next('server', 'crashed').then((e) => reject(new Error(`server failed to start: ${e.error}`)), reject);
  });
  log.info({ version, ...listening, addr: config.addr }, 'spice-companion started');
  return { ...listening, supervisor, host, main, stop: () => supervisor.stop() };
}
