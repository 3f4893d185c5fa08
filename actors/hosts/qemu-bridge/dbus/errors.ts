/**
 * D-Bus error replies as exceptions: a call that gets an ERROR message rejects with a DBusError
 * carrying its name, and a handler of an exported method throws one to answer with that error.
 */
import { isErrorName } from '../../../../codecs/dbus/names.js';

export class DBusError extends Error {
  constructor(
    /** The D-Bus error name, e.g. org.freedesktop.DBus.Error.UnknownMethod. */
    readonly errorName: string,
    message: string,
  ) {
    super(message);
    this.name = 'DBusError';
    if (!isErrorName(errorName)) throw new TypeError(`not a D-Bus error name: ${JSON.stringify(errorName)}`);
  }
}

/** The standard names (org.freedesktop.DBus.Error.*) this implementation uses. */
export const Errors = {
  Failed: 'org.freedesktop.DBus.Error.Failed',
  NoReply: 'org.freedesktop.DBus.Error.NoReply',
  Disconnected: 'org.freedesktop.DBus.Error.Disconnected',
  InvalidArgs: 'org.freedesktop.DBus.Error.InvalidArgs',
  InconsistentMessage: 'org.freedesktop.DBus.Error.InconsistentMessage',
  UnknownObject: 'org.freedesktop.DBus.Error.UnknownObject',
  UnknownInterface: 'org.freedesktop.DBus.Error.UnknownInterface',
  UnknownMethod: 'org.freedesktop.DBus.Error.UnknownMethod',
  UnknownProperty: 'org.freedesktop.DBus.Error.UnknownProperty',
  PropertyReadOnly: 'org.freedesktop.DBus.Error.PropertyReadOnly',
} as const;
