import { logLevels } from '../runtime/log.js';
import { maxPasswordLength } from '../codecs/protocol/link.js';
import { channelNames, type ChannelName } from './channel-names.js';
import {
  argv,
  bandwidth,
  bool,
  dbusAddress,
  hostPort,
  int,
  listOf,
  oneOf,
  optional,
  setting,
  shortText,
  size,
  text,
  uuid,
  videoCodecList,
  type Setting,
} from './setting.js';

/**
 * Every configuration key, described once. Names follow QEMU's `-spice` options where one
 * exists. The YAML file, the environment, the command-line flags, `--help`, the documented
 * example file and the `Config` type are all derived from this tree.
 */

export { channelNames, type ChannelName };

/** Lower runs first: input and cursor, then main and audio (small and late is useless), then the display. */
const defaultPriority: Record<ChannelName, number> = {
  inputs: 0,
  cursor: 0,
  main: 1,
  playback: 1,
  record: 1,
  display: 2,
  smartcard: 1,
  usbredir: 2,
  port: 2,
  webdav: 2,
};

const channel = (name: ChannelName) => ({
  priority: setting(int(0, 7), {
    doc: `Priority of the ${name} channel when channels share the client's link; 0 goes first.`,
    example: String(defaultPriority[name]),
    default: defaultPriority[name],
  }),
  'max-bandwidth': setting(bandwidth(), {
    doc: `Most the ${name} channel may send to one client.`,
    example: name === 'display' ? '20mbit' : 'unlimited',
    default: Infinity,
  }),
});

export const settings = {
  port: optional(int(0, 65535), {
    doc: 'TCP port for plain (non-TLS) connections; 0 picks a free port (logged). Unset: 5900 when neither tls-port nor unix is given, else no plain port.',
    example: '5930',
  }),
  'tls-port': optional(int(0, 65535), {
    doc: 'TCP port for TLS connections; unset for none. Needs x509-dir.',
    example: '5931',
  }),
  addr: setting(text(), {
    doc: 'Address to listen on. The default serves this host only; use 0.0.0.0 or :: for all. With unix: the socket path.',
    example: '0.0.0.0',
    default: '127.0.0.1',
  }),
  unix: setting(bool(), {
    doc: "Listen on the unix socket at addr (plain connections) instead of TCP, as QEMU's unix=on.",
    example: 'on',
    default: false,
  }),
  'x509-dir': optional(text(), {
    doc: 'Directory with ca-cert.pem, server-cert.pem and server-key.pem for TLS.',
    example: '/etc/pki/spice',
  }),
  'x509-key-file': optional(text(), {
    doc: "The server's private key (PEM), in place of x509-dir's server-key.pem.",
    example: '/etc/pki/spice/server-key.pem',
  }),
  'x509-key-password': optional(text(), {
    doc: "Passphrase of the server's private key, when it is encrypted.",
    example: 'k3y-pass',
    secret: true,
  }),
  'x509-cert-file': optional(text(), {
    doc: "The server's certificate (PEM), in place of x509-dir's server-cert.pem.",
    example: '/etc/pki/spice/server-cert.pem',
  }),
  'x509-cacert-file': optional(text(), {
    doc: "The CA certificate (PEM), in place of x509-dir's ca-cert.pem.",
    example: '/etc/pki/spice/ca-cert.pem',
  }),
  'x509-dh-key-file': optional(text(), {
    doc: 'Diffie-Hellman parameters (PEM) for DHE cipher suites.',
    example: '/etc/pki/spice/dh.pem',
  }),
  'tls-ciphers': optional(text(), {
    doc: 'OpenSSL cipher list for TLS connections.',
    example: 'HIGH:!aNULL',
  }),
  'secure-channels': setting(listOf([...channelNames, 'default']), {
    doc: 'Channels that may only be used over TLS; a plain link to them is refused with "need secured". default: every channel not in plaintext-channels (QEMU\'s tls-channel).',
    example: 'main,inputs',
    default: [],
  }),
  'plaintext-channels': setting(listOf(channelNames), {
    doc: "Channels allowed over plain TCP when secure-channels has default (QEMU's plaintext-channel).",
    example: 'cursor',
    default: [],
  }),
  password: optional(shortText(maxPasswordLength), {
    doc: 'Ticket (password) clients must present; at most 60 bytes, as spice-server and its clients allow.',
    example: 's3cret',
    secret: true,
  }),
  'password-file': optional(text(), {
    doc: 'A file holding the password (one trailing newline ignored), read at start: keeps it off the command line and the environment.',
    example: '/run/vm1/spice-password',
  }),
  'password-expiry': optional(int(0, 2 ** 31 - 1), {
    doc: 'Seconds after start-up when the password stops being accepted; unset for never.',
    example: '3600',
  }),
  'disable-ticketing': setting(bool(), {
    doc: 'Accept clients without a password. Without it and without a password, every client is refused.',
    example: 'on',
    default: false,
  }),
  sasl: setting(bool(), {
    doc: 'Authenticate clients with SASL (cyrus-sasl, configured by spice.conf in /etc/sasl2 or in SASL_CONF_PATH) instead of a ticket. TLS only: needs tls-port; every channel is then refused on the plain port.',
    example: 'off',
    default: false,
  }),
  'disable-copy-paste': setting(bool(), {
    doc: "Keep the clipboard from passing between client and guest's agent (QEMU's default: off).",
    example: 'off',
    default: false,
  }),
  'disable-agent-file-xfer': setting(bool(), {
    doc: "Keep clients from sending files to the guest through its agent (QEMU's default: off).",
    example: 'off',
    default: false,
  }),
  name: optional(text(), {
    doc: 'The VM\'s name, shown by clients in their title (QEMU\'s -name). Unset beside QEMU: the name QEMU has (its -name, or "QEMU" and its version).',
    example: 'my-vm',
  }),
  uuid: optional(uuid(), {
    doc: "The VM's UUID, sent to clients (QEMU's -uuid). Unset beside QEMU: the UUID QEMU has; else none is sent.",
    example: '5b0a8c5e-3f7a-4d2b-9c61-1d2e3f4a5b6c',
  }),
  'image-compression': setting(oneOf(['auto_glz', 'auto_lz', 'quic', 'glz', 'lz', 'lz4', 'off']), {
    doc: 'Lossless image compression for the display channel (lz4 is an extra, not a QEMU value: LZ4 for clients with the LZ4 capability, LZ for others).',
    example: 'quic',
    default: 'auto_lz',
  }),
  'compressor-threads': setting(int(0, 256), {
    doc: 'Threads of the compressor pool every display shares, at most; 0: one per core. The pool starts with one thread and grows while images wait for one; a thread beyond the first ends after 10 s without work.',
    example: '2',
    default: 0,
  }),
  'jpeg-wan-compression': setting(oneOf(['auto', 'never', 'always']), {
    doc: "Send photographic images (those QUIC would take) as lossy JPEG: always, never, or auto on slow links (the main channel's net test below 10 Mbit/s; QEMU's default, not ours: on a loaded host a loopback client can measure slow). Lossy areas go again losslessly once they stop changing.",
    example: 'auto',
    default: 'never',
  }),
  'zlib-glz-wan-compression': setting(oneOf(['auto', 'never', 'always']), {
    doc: "Compress GLZ images again with zlib (ZLIB_GLZ) where that makes them smaller: always, never, or auto on slow links (QEMU's default).",
    example: 'never',
    default: 'auto',
  }),
  'streaming-video': setting(oneOf(['off', 'all', 'filter']), {
    doc: "Detect regions redrawn at video rates and send them as a lossy video stream (filter: only regions that look like video, photo-like; all: any; QEMU's default: off).",
    example: 'filter',
    default: 'filter',
  }),
  'video-codecs': setting(videoCodecList(), {
    doc: "The codecs video streams may use, in order of preference (spice-server's syntax); a client gets the first it decodes, its PREFERRED_VIDEO_CODEC_TYPE first, MJPEG only without MULTI_CODEC.",
    example: 'vp8;mjpeg',
    default: 'mjpeg;vp8;h264',
  }),
  'playback-compression': setting(bool(), {
    doc: "Compress audio playback (Opus) when the client supports it (QEMU's default: on).",
    example: 'off',
    default: true,
  }),
  'agent-mouse': setting(bool(), {
    doc: "Use the guest agent for the client mouse mode when it is running and QEMU has no absolute device (QEMU's default: on).",
    example: 'on',
    default: true,
  }),
  'seamless-migration': setting(bool(), {
    doc: 'Allow seamless migration of clients to another server.',
    example: 'off',
    default: false,
    notYet: {
      values: [true],
      why: "seamless migration is not implemented yet (the control socket's spice-migrate-switch moves clients); only off works",
    },
  }),
  'max-bandwidth': setting(bandwidth(), {
    doc: "Most all channels together may send to one client (the client's link).",
    example: '10mbit',
    default: Infinity,
  }),
  'qemu-dbus': optional(dbusAddress(), {
    doc: "D-Bus address of the bus QEMU's display is on (QEMU started with -display dbus,addr=ADDRESS): the companion serves every graphic console of that VM (display channel N for Console_N) and passes the client's monitor layout to each with SetUIInfo, attaching whenever a QEMU is on the bus. Replaces the demo desktop.",
    example: 'unix:path=/run/vm1/dbus.sock',
  }),
  'qemu-qmp': optional(text(), {
    doc: 'QMP unix socket of a QEMU started with -display dbus,p2p=yes -qmp unix:PATH,server=on,wait=off: the companion hands QEMU a peer-to-peer D-Bus link there (no bus needed) and serves every graphic console of the VM, attaching again whenever QEMU is back. Replaces the demo desktop.',
    example: '/run/vm1/qmp.sock',
  }),
  qemu: optional(argv(), {
    doc: "Launch QEMU with these arguments (after --, the last option), adding -display dbus,p2p=yes and a QMP socket in a private directory, and serve it as qemu-qmp does. QEMU stops when the companion stops; if QEMU fails at start (exits before its QMP answers), the companion exits with QEMU's message; if it exits later, the companion keeps serving with the display disabled. A first argument that is not an option names the program (default qemu-system-x86_64).",
    example: '-accel kvm -m 2G -drive file=vm.qcow2',
    rest: true,
  }),
  demo: setting(oneOf(['off', 'live', 'still']), {
    doc: 'The built-in demo desktop, served while no VM is given (no qemu-dbus, qemu-qmp or qemu): live (moving windows, a clock, an animation), still (one deterministic frame, for exact tests) or off. Alone, --demo means live.',
    example: 'still',
    default: 'live',
    bare: 'live',
  }),
  'demo-size': setting(size(), {
    doc: 'Screen size of the demo desktop.',
    example: '1920x1080',
    default: '1024x768',
  }),
  'dump-frame': optional(text(), {
    doc: "With --demo still: write the demo's frame to this PPM file and exit, without serving.",
    example: 'frame.ppm',
  }),
  'control-socket': optional(text(), {
    doc: "Unix socket (mode 0600) for management commands in QMP's JSON shape: set_password, expire_password, query-spice, spice-disconnect (see spice-companion control). Unset: none.",
    example: '/run/vm1/spice-control.sock',
  }),
  'metrics-addr': optional(hostPort(), {
    doc: 'Serve Prometheus metrics over HTTP at http://HOST:PORT/metrics (channel traffic, frames, encodings, refused links, actor restarts and CPU). Unset: none.',
    example: '127.0.0.1:9500',
  }),
  'log-level': setting(oneOf(logLevels), {
    doc: 'Least severe log level written (JSON lines on stdout).',
    example: 'debug',
    default: 'info',
  }),
  channels: Object.fromEntries(channelNames.map((n) => [n, channel(n)])) as { [K in ChannelName]: ReturnType<typeof channel> },
};

export type SettingsTree = { readonly [key: string]: Setting<unknown> | SettingsTree };

/** The checked configuration: the settings tree with each key's value in place of its description. */
export type ConfigOf<S> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : ConfigOf<S[K]> };
export type Config = ConfigOf<typeof settings>;

export interface Leaf {
  /** Dotted path: `port`, `channels.display.priority`. */
  readonly path: string;
  readonly setting: Setting<unknown>;
}

export function isSetting(node: Setting<unknown> | SettingsTree): node is Setting<unknown> {
  return 'schema' in node && 'doc' in node;
}

/** Every key of a settings tree, in declaration order. */
export function leaves(tree: SettingsTree = settings as unknown as SettingsTree, prefix = ''): Leaf[] {
  return Object.entries(tree).flatMap(([key, node]) =>
    isSetting(node) ? [{ path: prefix + key, setting: node }] : leaves(node, `${prefix}${key}.`),
  );
}
