/**
 * Typed access to a QEMU display over a D-Bus connection (a bus, or QEMU's p2p link): finding
 * QEMU on a bus, the VM and console properties, input, SetUIInfo, and following property
 * changes. Input is validated before it reaches QEMU: some values crash QEMU 7.2 (a mouse
 * button >= 9 aborts it), so they are refused here with a RangeError.
 */
import type { Fd } from '../../../../native/index.js';
import { Bus, BUS_NAME, BUS_PATH } from './bus.js';
import type { CallOptions, DBusConnection, Target } from './connection.js';
import { Console, consolePath, Keyboard, MAX_MOUSE_BUTTON, MAX_QNUM, Mouse, QEMU_BUS_NAME, Vm, VM_PATH } from './display1.js';
import { DBusError } from './errors.js';
import { getAllProperties, getProperty, PropertiesChanged, propertyOf } from './properties.js';
import type { PropertySpec } from '../../../../codecs/dbus/spec.js';
import type { Value, Variant } from '../../../../codecs/dbus/types.js';

const NAME_HAS_NO_OWNER = 'org.freedesktop.DBus.Error.NameHasNoOwner';

/**
 * The unique name of the QEMU on this bus: the one with process id `pid` among those queued for
 * org.qemu, or the current owner. Undefined if none (yet).
 */
export async function findQemu(bus: DBusConnection, pid?: number): Promise<string | undefined> {
  const busTarget = { destination: BUS_NAME, path: BUS_PATH };
  let owners: string[];
  try {
    [owners] = await bus.call(busTarget, Bus.listQueuedOwners, [QEMU_BUS_NAME]);
  } catch (e) {
    if (e instanceof DBusError && e.errorName === NAME_HAS_NO_OWNER) return undefined;
    throw e;
  }
  if (pid === undefined) return owners[0];
  for (const owner of owners) {
    const [ownerPid] = await bus.call(busTarget, Bus.getConnectionUnixProcessID, [owner]);
    if (ownerPid === pid) return owner;
  }
  return undefined;
}

export interface VmInfo {
  readonly name: string;
  readonly uuid: string;
  readonly consoleIds: readonly number[];
}

export interface ConsoleInfo {
  readonly label: string;
  readonly head: number;
  readonly type: string;
  readonly width: number;
  readonly height: number;
  readonly deviceAddress: string;
}

export interface UIInfo {
  readonly widthMm: number;
  readonly heightMm: number;
  readonly xoff: number;
  readonly yoff: number;
  readonly width: number;
  readonly height: number;
}

const checkInt = (what: string, v: number, min: number, max: number) => {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${what} ${v} outside ${min}..${max}`);
};

function required<V extends Value>(all: ReadonlyMap<string, Variant>, spec: PropertySpec<V>): V {
  const v = propertyOf(all, spec);
  if (!v) throw new TypeError(`${spec.interface}: no property ${spec.name}`);
  if (!v.ok) throw new TypeError(`${spec.interface}.${spec.name}: ${v.error}`);
  return v.value;
}

/** A QEMU display: `destination` is QEMU's unique name on a bus, undefined on its p2p link. */
export class QemuDisplay {
  constructor(
    readonly connection: DBusConnection,
    readonly destination?: string,
  ) {}

  private target(path: Target['path']): Target {
    return this.destination === undefined ? { path } : { destination: this.destination, path };
  }

  async vm(): Promise<VmInfo> {
    const all = await getAllProperties(this.connection, this.target(VM_PATH), Vm.name.interface);
    return { name: required(all, Vm.name), uuid: required(all, Vm.uuid), consoleIds: required(all, Vm.consoleIds) };
  }

  console(id: number): QemuConsole {
    checkInt('console id', id, 0, 0xffffffff);
    return new QemuConsole(this.connection, this.target(consolePath(id)));
  }
}

export class QemuConsole {
  constructor(
    readonly connection: DBusConnection,
    readonly target: Target,
  ) {}

  async info(): Promise<ConsoleInfo> {
    const all = await getAllProperties(this.connection, this.target, Console.label.interface);
    return {
      label: required(all, Console.label),
      head: required(all, Console.head),
      type: required(all, Console.type),
      width: required(all, Console.width),
      height: required(all, Console.height),
      deviceAddress: required(all, Console.deviceAddress),
    };
  }

  /** Hands QEMU one end of a unix socket to serve the listener link on; `fd` stays ours to close. */
  async registerListener(fd: Fd): Promise<void> {
    await this.connection.call(this.target, Console.registerListener, [fd]);
  }

  /** Rejects with a DBusError "SetUIInfo is not supported" on devices without ui_info (std VGA). */
  async setUIInfo(info: UIInfo): Promise<void> {
    checkInt('width_mm', info.widthMm, 0, 0xffff);
    checkInt('height_mm', info.heightMm, 0, 0xffff);
    checkInt('xoff', info.xoff, -0x80000000, 0x7fffffff);
    checkInt('yoff', info.yoff, -0x80000000, 0x7fffffff);
    checkInt('width', info.width, 1, 0xffffffff);
    checkInt('height', info.height, 1, 0xffffffff);
    await this.connection.call(this.target, Console.setUIInfo, [
      info.widthMm,
      info.heightMm,
      info.xoff,
      info.yoff,
      info.width,
      info.height,
    ]);
  }

  async keyPress(qnum: number): Promise<void> {
    checkInt('qnum', qnum, 0, MAX_QNUM);
    await this.connection.call(this.target, Keyboard.press, [qnum]);
  }

  async keyRelease(qnum: number): Promise<void> {
    checkInt('qnum', qnum, 0, MAX_QNUM);
    await this.connection.call(this.target, Keyboard.release, [qnum]);
  }

  keyboardModifiers(): Promise<number> {
    return getProperty(this.connection, this.target, Keyboard.modifiers);
  }

  /** Buttons 0..8 (Left, Middle, Right, wheel up/down, Side, Extra, wheel left/right); more would abort QEMU 7.2. */
  async mousePress(button: number): Promise<void> {
    checkInt('mouse button', button, 0, MAX_MOUSE_BUTTON);
    await this.connection.call(this.target, Mouse.press, [button]);
  }

  async mouseRelease(button: number): Promise<void> {
    checkInt('mouse button', button, 0, MAX_MOUSE_BUTTON);
    await this.connection.call(this.target, Mouse.release, [button]);
  }

  /**
   * In console pixels; QEMU answers "Invalid mouse position" beyond its size, "Mouse is not
   * absolute" if relative. Motion is frequent: `noReply` pipelines it without waiting.
   */
  async mouseSetAbsPosition(x: number, y: number, options: CallOptions = {}): Promise<void> {
    checkInt('x', x, 0, 0xffffffff);
    checkInt('y', y, 0, 0xffffffff);
    await this.connection.call(this.target, Mouse.setAbsPosition, [x, y], options);
  }

  async mouseRelMotion(dx: number, dy: number, options: CallOptions = {}): Promise<void> {
    checkInt('dx', dx, -0x80000000, 0x7fffffff);
    checkInt('dy', dy, -0x80000000, 0x7fffffff);
    await this.connection.call(this.target, Mouse.relMotion, [dx, dy], options);
  }

  mouseIsAbsolute(): Promise<boolean> {
    return getProperty(this.connection, this.target, Mouse.isAbsolute);
  }

  /**
   * Calls `handler(interface, changed)` on each PropertiesChanged of this console (Console
   * Width/Height, Mouse IsAbsolute, Keyboard Modifiers). Resolves with the unsubscriber.
   */
  onPropertiesChanged(handler: (iface: string, changed: ReadonlyMap<string, Variant>) => void): Promise<() => Promise<void>> {
    const rule = { path: this.target.path, ...(this.target.destination !== undefined && { sender: this.target.destination }) };
    return this.connection.subscribeTo(rule, PropertiesChanged, ([iface, changed]) => handler(iface, changed));
  }
}
