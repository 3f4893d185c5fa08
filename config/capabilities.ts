import { leaves } from './settings.js';

/**
 * What this build can do, for a management layer deciding how to start it (libvirt asks its
 * display helpers with --print-capabilities). Derived from the settings tree: a feature is listed
 * when its key exists and is not refused as not implemented yet, so the answer cannot run ahead
 * of the code.
 */
const featureKeys: Record<string, string> = {
  'dbus-address': 'qemu-dbus',
  'qmp-p2p': 'qemu-qmp',
  'launch-qemu': 'qemu',
  tls: 'tls-port',
  unix: 'unix',
  'password-file': 'password-file',
  'control-socket': 'control-socket',
  metrics: 'metrics-addr',
  sasl: 'sasl',
  'opus-playback': 'playback-compression',
  // The spicevmc channels, served from QEMU's -chardev dbus: their settings exist once they do.
  usbredir: 'channels.usbredir.priority',
  'spice-ports': 'channels.port.priority',
  webdav: 'channels.webdav.priority',
  smartcard: 'channels.smartcard.priority',
};

export interface Capabilities {
  readonly type: 'spice';
  readonly version: string;
  readonly features: readonly string[];
  /** Values keys accept in syntax that are refused until their feature lands. */
  readonly 'not-yet': Readonly<Record<string, readonly unknown[]>>;
}

export function capabilities(version: string): Capabilities {
  const byPath = new Map(leaves().map((l) => [l.path, l.setting]));
  const works = (key: string) => {
    const s = byPath.get(key);
    return s !== undefined && !(s.notYet?.values.includes(true) ?? false);
  };
  const features = Object.entries(featureKeys)
    .filter(([, key]) => works(key))
    .map(([feature]) => feature);
  const notYet = Object.fromEntries(leaves().flatMap(({ path, setting }) => (setting.notYet ? [[path, setting.notYet.values]] : [])));
  return { type: 'spice', version, features, 'not-yet': notYet };
}
