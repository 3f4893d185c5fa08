import type { Config } from '../../config/settings.js';
import type { Logger } from '../../runtime/log.js';
import type { Contract } from '../../runtime/message.js';
import { Supervisor, type ActorRef } from '../../runtime/supervisor.js';
import { ChannelType, channelActorName } from '../channels.js';
import type { ChannelAddress } from '../contracts.js';
import type { CursorContract } from '../cursor/actor.js';
import type { MainContract } from '../main/contract.js';
import type { ServerContract } from './contract.js';

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
  // Registration order; the main channel lists them newest first, as spice-server does.
  const channels: ChannelAddress[] = [
    { type: ChannelType.inputs, id: 0 },
    { type: ChannelType.cursor, id: 0 },
  ];
  const main = supervisor.spawn<MainContract>({
    name: 'main',
    module: here('../main/actor.js'),
    init: { config: { name: config.name, uuid: config.uuid }, channels, displayChannels: 0 },
  });
  supervisor.spawn({ name: 'inputs', module: here('../inputs/actor.js'), init: {} });
  supervisor.spawn<CursorContract>({ name: 'cursor-0', module: here('../cursor/actor.js'), init: { source: 'host' } });
  const server = supervisor.spawn<ServerContract>({
    name: 'server',
    module: here('./actor.js'),
    init: { config, channels: [{ type: ChannelType.main, id: 0 }, ...channels] },
  });
  for (const c of [{ type: ChannelType.main, id: 0 }, ...channels]) supervisor.connect('server', channelActorName(c));
  if (host) for (const name of ['main', 'inputs', 'cursor-0']) supervisor.connect(name, 'host');
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
