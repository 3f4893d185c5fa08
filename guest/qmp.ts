/** The product's QMP client (actors/hosts/qemu-bridge/qmp.ts) and the commands only tests send with it. */
import type { Qmp } from '../actors/hosts/qemu-bridge/qmp.js';

export { Qmp, QmpError, type QmpEvent } from '../actors/hosts/qemu-bridge/qmp.js';

/** QEMU's QKeyCode names (`a`, `ret`, `shift`, `esc`, `f1`, ...). */
export type QKeyCode = string;
export type MouseButton = 'left' | 'middle' | 'right' | 'wheel-up' | 'wheel-down' | 'side' | 'extra';

/** QAPI InputEvent, as `input-send-event` takes it. Absolute values span 0..0x7fff. */
export type InputEvent =
  | { readonly type: 'key'; readonly data: { readonly down: boolean; readonly key: { readonly type: 'qcode'; readonly data: QKeyCode } } }
  | { readonly type: 'btn'; readonly data: { readonly down: boolean; readonly button: MouseButton } }
  | { readonly type: 'rel' | 'abs'; readonly data: { readonly axis: 'x' | 'y'; readonly value: number } };

export const key = (qcode: QKeyCode, down: boolean): InputEvent => ({ type: 'key', data: { down, key: { type: 'qcode', data: qcode } } });
export const button = (name: MouseButton, down: boolean): InputEvent => ({ type: 'btn', data: { down, button: name } });
export const rel = (axis: 'x' | 'y', value: number): InputEvent => ({ type: 'rel', data: { axis, value } });
export const abs = (axis: 'x' | 'y', value: number): InputEvent => ({ type: 'abs', data: { axis, value } });

/** Writes the console's surface to `file` (PPM) on QEMU's side; the path must be absolute. */
export async function screendump(qmp: Qmp, file: string, device?: string, head?: number): Promise<void> {
  await qmp.execute('screendump', { filename: file, ...(device === undefined ? {} : { device }), ...(head === undefined ? {} : { head }) });
}

/** Presses the keys together, holds them `holdMs`, releases them (QEMU times the release). */
export async function sendKey(qmp: Qmp, keys: readonly QKeyCode[], holdMs?: number): Promise<void> {
  await qmp.execute('send-key', {
    keys: keys.map((data) => ({ type: 'qcode', data })),
    ...(holdMs === undefined ? {} : { 'hold-time': holdMs }),
  });
}

export async function inputSendEvent(qmp: Qmp, events: readonly InputEvent[], device?: string): Promise<void> {
  await qmp.execute('input-send-event', { events, ...(device === undefined ? {} : { device }) });
}
