/**
 * QEMU's `-chardev dbus` objects (org.qemu.Display1.Chardev): found through the ObjectManager at
 * /org/qemu/Display1, registered with one end of a socketpair (the bytes then flow on it, no
 * D-Bus), and followed for the guest side opening and closing the port (FEOpened).
 */
import type { ObjectPath } from '../../../../codecs/dbus/names.js';
import type { Variant } from '../../../../codecs/dbus/types.js';
import { close, socketPair, type Fd } from '../../../../native/index.js';
import type { DBusConnection, Target } from './connection.js';
import { Chardev, CHARDEV, DISPLAY_ROOT, ObjectManager } from './display1.js';
import { PropertiesChanged, propertyOf } from './properties.js';

export interface ChardevInfo {
  readonly path: ObjectPath;
  readonly name: string;
  readonly feOpened: boolean;
}

/** The chardevs QEMU exports (none when it has no `-chardev dbus`). */
export async function listChardevs(bus: DBusConnection, destination: string | undefined): Promise<ChardevInfo[]> {
  const [objects] = await bus.call(target(destination, DISPLAY_ROOT), ObjectManager.getManagedObjects, []);
  const found: ChardevInfo[] = [];
  for (const [path, ifaces] of objects) {
    const props = ifaces.get(CHARDEV);
    if (!props) continue;
    const name = propertyOf(props, Chardev.name);
    const opened = propertyOf(props, Chardev.feOpened);
    if (!name?.ok) continue;
    found.push({ path, name: name.value, feOpened: opened?.ok === true && opened.value });
  }
  return found;
}

const target = (destination: string | undefined, path: ObjectPath): Target =>
  destination === undefined ? { path } : { destination, path };

/** Registers a socket with the chardev at `path`; the returned fd, our end, is the caller's to own. */
export async function registerChardev(bus: DBusConnection, destination: string | undefined, path: ObjectPath): Promise<Fd> {
  const [ours, theirs] = socketPair();
  try {
    await bus.call(target(destination, path), Chardev.register, [theirs]);
  } catch (e) {
    close(ours);
    throw e;
  } finally {
    close(theirs); // QEMU holds its own copy now
  }
  return ours;
}

/** Calls `onOpened` as FEOpened changes; resolves with the unsubscriber. */
export function followChardev(
  bus: DBusConnection,
  destination: string | undefined,
  path: ObjectPath,
  onOpened: (opened: boolean) => void,
): Promise<() => Promise<void>> {
  const rule = { path, ...(destination !== undefined && { sender: destination }) };
  return bus.subscribeTo(rule, PropertiesChanged, ([iface, changed]: [string, ReadonlyMap<string, Variant>, string[]]) => {
    if (iface !== CHARDEV) return;
    const v = propertyOf(changed, Chardev.feOpened);
    if (v?.ok) onOpened(v.value);
  });
}
