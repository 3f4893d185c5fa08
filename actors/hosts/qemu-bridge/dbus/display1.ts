/**
 * QEMU's D-Bus display interfaces (org.qemu.Display1, `ui/dbus-display1.xml`), with the exact
 * signatures of QEMU 7.2 (identical in 7.0-8.0; later additions marked). Facts about their
 * behaviour: shared/reference/qemu-dbus-facts.md §2.
 */
import { objectPath, type ObjectPath } from '../../../../codecs/dbus/names.js';
import { methodSpec, NO_ARGS, propertySpec } from '../../../../codecs/dbus/spec.js';
import { args, T } from '../../../../codecs/dbus/types.js';

/** The well-known name QEMU owns on a bus (further QEMUs on the same bus queue for it). */
export const QEMU_BUS_NAME = 'org.qemu';
export const VM_PATH = objectPath('/org/qemu/Display1/VM');
export const LISTENER_PATH = objectPath('/org/qemu/Display1/Listener');
export const consolePath = (id: number): ObjectPath => objectPath(`/org/qemu/Display1/Console_${id}`);

const VM = 'org.qemu.Display1.VM';
const CONSOLE = 'org.qemu.Display1.Console';
const KEYBOARD = 'org.qemu.Display1.Keyboard';
const MOUSE = 'org.qemu.Display1.Mouse';
export const LISTENER = 'org.qemu.Display1.Listener';
/** 9.2+: shared-memory scanouts, used only if the listener lists it in its Interfaces property. */
export const LISTENER_UNIX_MAP = 'org.qemu.Display1.Listener.Unix.Map';

export const Vm = {
  name: propertySpec(VM, 'Name', T.string),
  uuid: propertySpec(VM, 'UUID', T.string),
  consoleIds: propertySpec(VM, 'ConsoleIDs', T.array(T.u32)),
  /** 8.1+. */
  interfaces: propertySpec(VM, 'Interfaces', T.array(T.string)),
} as const;

export const Console = {
  /** The fd of a unix stream socket: QEMU serves a peer-to-peer D-Bus link on it and calls our Listener. */
  registerListener: methodSpec(CONSOLE, 'RegisterListener', args(T.fd), NO_ARGS),
  /** width_mm, height_mm, xoff, yoff, width, height. */
  setUIInfo: methodSpec(CONSOLE, 'SetUIInfo', args(T.u16, T.u16, T.i32, T.i32, T.u32, T.u32), NO_ARGS),
  label: propertySpec(CONSOLE, 'Label', T.string),
  head: propertySpec(CONSOLE, 'Head', T.u32),
  /** "Graphic" or "Text". */
  type: propertySpec(CONSOLE, 'Type', T.string),
  width: propertySpec(CONSOLE, 'Width', T.u32),
  height: propertySpec(CONSOLE, 'Height', T.u32),
  deviceAddress: propertySpec(CONSOLE, 'DeviceAddress', T.string),
} as const;

export const Keyboard = {
  /** A qnum: XT set-1 scancode, E0-prefixed keys as 0x80 | code. */
  press: methodSpec(KEYBOARD, 'Press', args(T.u32), NO_ARGS),
  release: methodSpec(KEYBOARD, 'Release', args(T.u32), NO_ARGS),
  /** Guest LEDs: Scroll 1, Num 2, Caps 4. */
  modifiers: propertySpec(KEYBOARD, 'Modifiers', T.u32),
} as const;

export const Mouse = {
  press: methodSpec(MOUSE, 'Press', args(T.u32), NO_ARGS),
  release: methodSpec(MOUSE, 'Release', args(T.u32), NO_ARGS),
  setAbsPosition: methodSpec(MOUSE, 'SetAbsPosition', args(T.u32, T.u32), NO_ARGS),
  relMotion: methodSpec(MOUSE, 'RelMotion', args(T.i32, T.i32), NO_ARGS),
  isAbsolute: propertySpec(MOUSE, 'IsAbsolute', T.bool),
} as const;

/** The root of QEMU's exported objects: an ObjectManager lists them (the Chardev_ID ones among them). */
export const DISPLAY_ROOT = objectPath('/org/qemu/Display1');
export const CHARDEV = 'org.qemu.Display1.Chardev';

export const ObjectManager = {
  /** path → interface → property → value. */
  getManagedObjects: methodSpec(
    'org.freedesktop.DBus.ObjectManager',
    'GetManagedObjects',
    NO_ARGS,
    args(T.dict(T.path, T.dict(T.string, T.dict(T.string, T.variant)))),
  ),
} as const;

/** A `-chardev dbus`: Register hands QEMU a raw byte-stream fd (not D-Bus) that replaces any before it. */
export const Chardev = {
  register: methodSpec(CHARDEV, 'Register', args(T.fd), NO_ARGS),
  /** A break condition to the guest side (a SPICE port's BREAK event). */
  sendBreak: methodSpec(CHARDEV, 'SendBreak', NO_ARGS, NO_ARGS),
  /** From `-chardev dbus,name=NAME`. */
  name: propertySpec(CHARDEV, 'Name', T.string),
  /** The guest side has the port open (e.g. its agent runs). */
  feOpened: propertySpec(CHARDEV, 'FEOpened', T.bool),
} as const;

/** What QEMU calls on the listener we serve at LISTENER_PATH. */
export const Listener = {
  /** width, height, stride, pixman_format, data (stride * height bytes). */
  scanout: methodSpec(LISTENER, 'Scanout', args(T.u32, T.u32, T.u32, T.u32, T.bytes), NO_ARGS),
  /** x, y, width, height, stride, pixman_format, data. */
  update: methodSpec(LISTENER, 'Update', args(T.i32, T.i32, T.i32, T.i32, T.u32, T.u32, T.bytes), NO_ARGS),
  /** dmabuf fd, width, height, stride, fourcc, modifier, y0_top (gl=on only). */
  scanoutDmabuf: methodSpec(LISTENER, 'ScanoutDMABUF', args(T.fd, T.u32, T.u32, T.u32, T.u32, T.u64, T.bool), NO_ARGS),
  /** x, y, width, height; QEMU waits for the reply before it reuses the buffer. */
  updateDmabuf: methodSpec(LISTENER, 'UpdateDMABUF', args(T.i32, T.i32, T.i32, T.i32), NO_ARGS),
  disable: methodSpec(LISTENER, 'Disable', NO_ARGS, NO_ARGS),
  /** x, y, on. */
  mouseSet: methodSpec(LISTENER, 'MouseSet', args(T.i32, T.i32, T.i32), NO_ARGS),
  /** width, height, hot_x, hot_y, data (width * height ARGB32 words, little-endian). */
  cursorDefine: methodSpec(LISTENER, 'CursorDefine', args(T.i32, T.i32, T.i32, T.i32, T.bytes), NO_ARGS),
  /** 8.1+ reads it at registration to opt into optional interfaces. */
  interfaces: propertySpec(LISTENER, 'Interfaces', T.array(T.string)),
} as const;

export const ListenerUnixMap = {
  /** memfd, offset, width, height, stride, pixman_format. */
  scanoutMap: methodSpec(LISTENER_UNIX_MAP, 'ScanoutMap', args(T.fd, T.u32, T.u32, T.u32, T.u32, T.u32), NO_ARGS),
  /** x, y, width, height: the pixels are in the mapping. */
  updateMap: methodSpec(LISTENER_UNIX_MAP, 'UpdateMap', args(T.i32, T.i32, T.i32, T.i32), NO_ARGS),
} as const;

/** Mouse buttons QEMU 7.2 knows: Left 0 ... Extra 6, wheel left 7, wheel right 8. A larger one aborts QEMU 7.2. */
export const MAX_MOUSE_BUTTON = 8;
/** The largest qnum (set-1 code with the E0 bit as 0x80). */
export const MAX_QNUM = 0xff;

/** Only with `-display dbus,audiodev=ID`. Registering over a peer-to-peer link crashes QEMU 7.2 (fixed in 8.0): bus mode only. */
export const AUDIO_PATH = objectPath('/org/qemu/Display1/Audio');
export const AUDIO_OUT_LISTENER_PATH = objectPath('/org/qemu/Display1/AudioOutListener');
export const AUDIO_IN_LISTENER_PATH = objectPath('/org/qemu/Display1/AudioInListener');
const AUDIO = 'org.qemu.Display1.Audio';
export const AUDIO_OUT_LISTENER = 'org.qemu.Display1.AudioOutListener';
export const AUDIO_IN_LISTENER = 'org.qemu.Display1.AudioInListener';

export const Audio = {
  /** The fd of a unix stream socket, as for Console.RegisterListener: QEMU calls our AudioOutListener on it. */
  registerOutListener: methodSpec(AUDIO, 'RegisterOutListener', args(T.fd), NO_ARGS),
  registerInListener: methodSpec(AUDIO, 'RegisterInListener', args(T.fd), NO_ARGS),
} as const;

/** What QEMU calls on either audio listener; `id` names the voice. */
const voice = (iface: string) => ({
  /** id, bits, signed, float, frequency, channels, bytes per frame, bytes per second, big-endian. */
  init: methodSpec(iface, 'Init', args(T.u64, T.byte, T.bool, T.bool, T.u32, T.byte, T.u32, T.u32, T.bool), NO_ARGS),
  fini: methodSpec(iface, 'Fini', args(T.u64), NO_ARGS),
  setEnabled: methodSpec(iface, 'SetEnabled', args(T.u64, T.bool), NO_ARGS),
  /** id, mute, one volume 0..255 per channel. */
  setVolume: methodSpec(iface, 'SetVolume', args(T.u64, T.bool, T.bytes), NO_ARGS),
});

export const AudioOutListener = {
  ...voice(AUDIO_OUT_LISTENER),
  /** id, PCM in the voice's format (7.2: 1024 frames a call). */
  write: methodSpec(AUDIO_OUT_LISTENER, 'Write', args(T.u64, T.bytes), NO_ARGS),
} as const;

export const AudioInListener = {
  ...voice(AUDIO_IN_LISTENER),
  /** id, bytes wanted → PCM; QEMU waits for the answer on its main loop. */
  read: methodSpec(AUDIO_IN_LISTENER, 'Read', args(T.u64, T.u64), args(T.bytes)),
} as const;
