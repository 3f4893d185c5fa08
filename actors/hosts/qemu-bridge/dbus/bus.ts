/**
 * The message bus itself (org.freedesktop.DBus at /org/freedesktop/DBus): the methods a client
 * of dbus-daemon needs, and match rules for signal subscriptions.
 */
import { objectPath } from '../../../../codecs/dbus/names.js';
import { methodSpec, NO_ARGS, signalSpec } from '../../../../codecs/dbus/spec.js';
import { args, T } from '../../../../codecs/dbus/types.js';

export const BUS_NAME = 'org.freedesktop.DBus';
export const BUS_PATH = objectPath('/org/freedesktop/DBus');
const BUS = 'org.freedesktop.DBus';

export const Bus = {
  hello: methodSpec(BUS, 'Hello', NO_ARGS, args(T.string)),
  addMatch: methodSpec(BUS, 'AddMatch', args(T.string), NO_ARGS),
  removeMatch: methodSpec(BUS, 'RemoveMatch', args(T.string), NO_ARGS),
  listNames: methodSpec(BUS, 'ListNames', NO_ARGS, args(T.array(T.string))),
  getNameOwner: methodSpec(BUS, 'GetNameOwner', args(T.string), args(T.string)),
  listQueuedOwners: methodSpec(BUS, 'ListQueuedOwners', args(T.string), args(T.array(T.string))),
  getConnectionUnixProcessID: methodSpec(BUS, 'GetConnectionUnixProcessID', args(T.string), args(T.u32)),
  /** Flags: 1 allow replacement, 2 replace existing, 4 do not queue. Reply 1 primary owner, 2 queued, 3 exists, 4 already owner. */
  requestName: methodSpec(BUS, 'RequestName', args(T.string, T.u32), args(T.u32)),
  nameOwnerChanged: signalSpec(BUS, 'NameOwnerChanged', args(T.string, T.string, T.string)),
} as const;

/** Which signals a subscription wants; absent keys match anything. */
export interface MatchRule {
  /** A unique name (`:1.42`) is also checked on our side; a well-known name only by the bus. */
  readonly sender?: string;
  readonly path?: string;
  readonly interface?: string;
  readonly member?: string;
}

/** The rule as AddMatch takes it: `type='signal',key='value',...` (a quote inside is '\''). */
export function matchRuleText(rule: MatchRule): string {
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const parts = ["type='signal'"];
  for (const key of ['sender', 'path', 'interface', 'member'] as const) {
    const v = rule[key];
    if (v !== undefined) parts.push(`${key}=${quote(v)}`);
  }
  return parts.join(',');
}
