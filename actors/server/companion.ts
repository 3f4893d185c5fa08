import type { Config } from '../../config/settings.js';
import type { Logger } from '../../runtime/log.js';
import { Supervisor } from '../../runtime/supervisor.js';

export interface Companion {
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
  log.info({ version, port: config.port, addr: config.addr }, 'spice-companion started');
  return { stop: () => supervisor.stop() };
}
