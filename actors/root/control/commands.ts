import type { Config } from '../../../config/settings.js';
import type { ActorRef } from '../../../runtime/supervisor.js';
import type { Done, MainContract, ServerContract } from '../../contracts.js';
import { failure, type ControlCommand, type ControlReply, type MigrationTarget, type SpiceInfo } from './protocol.js';

export interface ControlTarget {
  readonly config: Config;
  readonly version: string;
  readonly port: number | null;
  readonly tlsPort: number | null;
  readonly server: ActorRef<ServerContract>;
  readonly main: ActorRef<MainContract>;
  /** Seconds since the epoch (QEMU's time(NULL)), for expire_password's absolute times. */
  readonly nowS: () => number;
  /** client_migrate_info's target until a switch uses it (kept here, so that a main actor's restart keeps it). */
  migration: MigrationTarget | null;
}

const done = (d: Done): ControlReply => (d.ok ? { return: {} } : failure(d.error));

/** Runs one command against the companion's actors, by request and reply. */
export async function execute(command: ControlCommand, t: ControlTarget): Promise<ControlReply> {
  switch (command.execute) {
    case 'qmp_capabilities':
      return { return: {} };
    case 'set_password': {
      const { password, connected = 'keep' } = command.arguments;
      // As QEMU: an empty password refuses every client.
      return done(await t.server.link.ask({ kind: 'set-password', password: password === '' ? null : password, connected }));
    }
    case 'expire_password': {
      const { time } = command.arguments;
      const inS = time === 'never' ? null : time === 'now' ? 0 : time.startsWith('+') ? Number(time.slice(1)) : Number(time) - t.nowS();
      return done(await t.server.link.ask({ kind: 'expire-password', inS }));
    }
    case 'query-spice': {
      const [channels, mouseMode] = await Promise.all([
        t.server.link.ask({ kind: 'query-channels' }),
        t.main.link.ask({ kind: 'mouse-mode' }),
      ]);
      const info: SpiceInfo = {
        enabled: true,
        migrated: false,
        host: t.config.addr,
        ...(t.port !== null ? { port: t.port } : {}),
        ...(t.tlsPort !== null ? { 'tls-port': t.tlsPort } : {}),
        auth: t.config['disable-ticketing'] ? 'none' : 'spice',
        'compiled-version': t.version,
        'mouse-mode': mouseMode,
        channels: channels.map((c) => ({
          host: c.host,
          port: c.port,
          family: c.family,
          'connection-id': c.session,
          'channel-type': c.channelType,
          'channel-id': c.channelId,
          tls: c.tls,
        })),
        ...(t.migration !== null ? { migration: t.migration } : {}),
      };
      return { return: info };
    }
    case 'spice-disconnect':
      return done(await t.server.link.ask({ kind: 'disconnect', session: command.arguments?.['connection-id'] ?? null }));
    case 'client_migrate_info': {
      const { hostname, port = -1, 'tls-port': tlsPort = -1, 'cert-subject': certSubject } = command.arguments;
      t.migration = {
        hostname,
        ...(port > 0 ? { port } : {}),
        ...(tlsPort > 0 ? { 'tls-port': tlsPort } : {}),
        ...(certSubject !== undefined ? { 'cert-subject': certSubject } : {}),
      };
      return { return: {} };
    }
    case 'spice-migrate-switch': {
      const target = t.migration;
      if (target === null) return failure('no migration target: give client_migrate_info first');
      const clients = await t.main.link.ask({
        kind: 'migrate-switch',
        host: target.hostname,
        port: target.port ?? 0,
        tlsPort: target['tls-port'] ?? 0,
        certSubject: target['cert-subject'] ?? null,
      });
      // As spice-server: a switch with no client keeps the target for the next; one that sent clients away uses it up.
      if (clients > 0) t.migration = null;
      return { return: { clients } };
    }
  }
}
