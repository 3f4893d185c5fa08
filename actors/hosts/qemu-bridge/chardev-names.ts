import { ChannelType } from '../../../codecs/protocol/enums.js';

/**
 * What a `-chardev dbus`'s name makes of it: the guest agent's port, a spicevmc channel, or
 * nothing of ours. Names as spice-server's `-chardev spicevmc,name=` / `spiceport,name=` and
 * QEMU's D-Bus display docs give them.
 */
export type ChardevRole = { readonly role: 'agent' } | { readonly role: 'tunnel'; readonly type: number } | { readonly role: 'none' };

const agentNames: ReadonlySet<string> = new Set(['org.spice-space.vdagent.0', 'com.redhat.spice.0']);
/** QEMU reserves org.qemu.usbredir for usb-redir; spicevmc's own names are accepted too, so a command line moves over with `spicevmc` → `dbus`. */
const byName: ReadonlyMap<string, number> = new Map([
  ['org.qemu.usbredir', ChannelType.usbredir],
  ['usbredir', ChannelType.usbredir],
  ['org.spice-space.smartcard', ChannelType.smartcard],
  ['smartcard', ChannelType.smartcard],
  // spice-gtk's shared folder talks to the guest's spice-webdavd through this port.
  ['org.spice-space.webdav.0', ChannelType.webdav],
]);

export function chardevRole(name: string): ChardevRole {
  if (agentNames.has(name)) return { role: 'agent' };
  const type = byName.get(name);
  if (type !== undefined) return { role: 'tunnel', type };
  // QEMU's own (org.qemu.console.serial.0, org.qemu.monitor.*) belong to a D-Bus UI, not to SPICE.
  if (name.startsWith('org.qemu.')) return { role: 'none' };
  // Any other name is a SPICE port of that name, as `-chardev spiceport,name=NAME`.
  return { role: 'tunnel', type: ChannelType.port };
}
