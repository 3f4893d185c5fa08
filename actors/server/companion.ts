import type { Config } from '../../config/settings.js';
import type { Logger } from '../../runtime/log.js';
import { Supervisor } from '../../runtime/supervisor.js';
import type { ServerContract } from './contract.js';

export interface Companion {
  readonly port: number | null;
  readonly tlsPort: number | null;
  stop(): Promise<void>;
}

/**
 * The process's root: a supervisor for the actors, and the reaction to an escalation (a crash
 * loop nobody below can fix ends the process, so that whatever runs it can restart it).
 */
export async function startCompanion(config: Config, log: Logger, version: string): Promise<Companion> {
  const supervisor = new Supervisor({ log, logLevel: config['log-level'] });
  supervisor.events$.subscribe((e) => {
    if (e.type === 'escalated') {
      log.fatal({ actor: e.actor, error: e.error }, 'actor escalated; exiting');
      void supervisor.stop().finally(() => process.exit(1));
    }
  });
  const server = supervisor.spawn<ServerContract>({
    name: 'server',
    module: new URL('./actor.js', import.meta.url),
    init: { config, channels: [] },
  });
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
  return { ...listening, stop: () => supervisor.stop() };
}
