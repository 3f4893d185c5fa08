/**
 * Input to QEMU: key numbers, buttons, positions, lock keys. What QEMU 7.2 does with them is
 * checked end to end (test/e2e/qemu.test.ts); here, the mapping and the values that must
 * never reach it.
 */
import test from 'ava';
import { createLogger } from '../../runtime/log.js';
import type { InputEvent } from '../../actors/contracts.js';
import { QemuInput, type InputTarget } from '../../actors/hosts/qemu-bridge/input.js';
import { qnumOf } from '../../actors/hosts/qemu-bridge/keymap.js';
import { clampPosition, qemuButton } from '../../actors/hosts/qemu-bridge/mouse.js';
import { cursorImage } from '../../actors/hosts/qemu-bridge/cursor.js';
import { byteOrderOf, NATIVE } from '../../actors/hosts/qemu-bridge/pixman.js';
import { parseScancodes } from '../../actors/channels/inputs/scancodes.js';

test('set-1 codes become qnums: plain keys as they are, E0 keys with 0x80, Pause as 0xc6; nothing else', (t) => {
  t.is(qnumOf(0x01), 0x01); // Esc
  t.is(qnumOf(0x1e), 0x1e); // A
  t.is(qnumOf(0x58), 0x58); // F12
  t.is(qnumOf(0xe048), 0xc8); // Up
  t.is(qnumOf(0xe01d), 0x9d); // Right Ctrl
  t.is(qnumOf(0xe05b), 0xdb); // Left Windows
  const [pause] = parseScancodes(Uint8Array.of(0xe1, 0x1d, 0x45));
  t.is(qnumOf(pause!.code), 0xc6);
  for (const bad of [0, 0x80, 0xff, 0xe000, 0xe100, 0xe145, 0x1e1e, 0x10000]) t.is(qnumOf(bad), undefined, `0x${bad.toString(16)}`);
});

test('SPICE buttons 1..7 become QEMU 0..6; anything else (QEMU 7.2 aborts on >= 9) never does', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 6, 7].map(qemuButton), [0, 1, 2, 3, 4, 5, 6]);
  for (const bad of [0, 8, 9, 42, -1, 1.5, NaN]) t.is(qemuButton(bad), undefined);
});

test('absolute positions are clamped inside the console, and none is given while its size is unknown', (t) => {
  t.deepEqual(clampPosition(10, 20, 640, 480), { x: 10, y: 20 });
  t.deepEqual(clampPosition(640, 480, 640, 480), { x: 639, y: 479 });
  t.deepEqual(clampPosition(-5, 1e9, 640, 480), { x: 0, y: 479 });
  t.is(clampPosition(1, 1, 0, 0), undefined);
});

test('cursor ids: the same shape always gets the same non-zero id, another shape or hot spot another one; oversized ones are refused', (t) => {
  const data = new Uint8Array(32 * 32 * 4).map((_, i) => i * 7);
  const a = cursorImage({ width: 32, height: 32, hotX: 1, hotY: 2, data });
  const b = cursorImage({ width: 32, height: 32, hotX: 1, hotY: 2, data: data.slice() });
  const c = cursorImage({ width: 32, height: 32, hotX: 2, hotY: 2, data });
  const d = cursorImage({ width: 32, height: 32, hotX: 1, hotY: 2, data: data.map((v, i) => (i === 100 ? v ^ 1 : v)) });
  if (typeof a === 'string' || typeof b === 'string' || typeof c === 'string' || typeof d === 'string') return t.fail('refused');
  t.not(a.unique, 0n);
  t.is(a.unique, b.unique);
  t.not(a.unique, c.unique);
  t.not(a.unique, d.unique);
  t.is(a.type, 0, 'ALPHA: QEMU gives B,G,R,A words, as SPICE takes them');
  t.not(a.data, data, 'a copy: the listener buffer is not kept');
  const hot = cursorImage({ width: 16, height: 16, hotX: 40, hotY: -3, data: new Uint8Array(1024) });
  t.like(hot, { hotX: 15, hotY: 0 });
  t.is(typeof cursorImage({ width: 1024, height: 16, hotX: 0, hotY: 0, data: new Uint8Array(1024 * 16 * 4) }), 'string');
});

test('pixman formats: the 32-bit 8-bit-channel orders are known, all others are not', (t) => {
  t.is(byteOrderOf(0x20020888), NATIVE); // x8r8g8b8
  t.is(byteOrderOf(0x20028888), NATIVE); // a8r8g8b8
  t.deepEqual(byteOrderOf(0x20030888), { r: 0, g: 1, b: 2 }); // x8b8g8r8
  t.deepEqual(byteOrderOf(0x20080888), { r: 1, g: 2, b: 3 }); // b8g8r8x8
  t.deepEqual(byteOrderOf(0x20098888), { r: 3, g: 2, b: 1 }); // r8g8b8a8
  for (const other of [0x10020565, 0x18020888, 0x20022aaa, 0x20010888, 0]) t.is(byteOrderOf(other), undefined, `0x${other.toString(16)}`);
});

/** A console that records the calls it gets. */
function recorder() {
  const calls: string[] = [];
  const rec =
    (name: string) =>
    async (...args: unknown[]) =>
      void calls.push(`${name}(${args.filter((a) => typeof a === 'number').join(',')})`);
  const target: InputTarget = {
    keyPress: rec('keyPress'),
    keyRelease: rec('keyRelease'),
    mousePress: rec('mousePress'),
    mouseRelease: rec('mouseRelease'),
    mouseSetAbsPosition: rec('abs'),
    mouseRelMotion: rec('rel'),
  };
  return { calls, target };
}

test('input events become the console calls QEMU takes, by mouse mode; lock keys toggle only what differs', (t) => {
  const { calls, target } = recorder();
  const second = recorder();
  const screens = [
    { target, size: { width: 800, height: 600 } },
    { target: second.target, size: { width: 640, height: 480 } },
  ];
  const input = new QemuInput(target, createLogger('silent'), (display) => screens[display]);
  const events: InputEvent[] = [
    { kind: 'key', code: 0xe048, down: true },
    { kind: 'key', code: 0xe048, down: false },
    { kind: 'mouse-motion', dx: 3, dy: -2, buttons: 0 },
    { kind: 'mouse-position', x: 10, y: 10, buttons: 0, display: 0 }, // relative mode: dropped
    { kind: 'mouse-buttons', button: 3, buttons: 4, down: true },
    { kind: 'mouse-buttons', button: 3, buttons: 0, down: false },
  ];
  events.forEach((e) => input.handle(e));
  input.absolute = true;
  input.leds = 2; // Num Lock on in the guest
  [
    { kind: 'mouse-motion', dx: 3, dy: -2, buttons: 0 }, // absolute mode: dropped
    { kind: 'mouse-position', x: 900, y: 10, buttons: 0, display: 0 },
    { kind: 'mouse-position', x: 700, y: 5, buttons: 0, display: 1 }, // the second display: its console, its size
    { kind: 'mouse-position', x: 5, y: 5, buttons: 0, display: 2 }, // no such display: dropped
    { kind: 'lock-keys', modifiers: 4 }, // client: Caps only
    { kind: 'lock-keys', modifiers: 4 }, // the same again: nothing to do
  ].forEach((e) => input.handle(e as InputEvent));
  t.deepEqual(calls, [
    'keyPress(200)',
    'keyRelease(200)',
    'rel(3,-2)',
    'mousePress(2)',
    'mouseRelease(2)',
    'abs(799,10)',
    'keyPress(69)', // Num Lock off
    'keyRelease(69)',
    'keyPress(58)', // Caps Lock on
    'keyRelease(58)',
  ]);
  t.deepEqual(second.calls, ['abs(639,5)']);
});
