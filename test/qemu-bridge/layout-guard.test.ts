/** The layout guard's reading of the guest's answer to a client layout, without QEMU. */
import test from 'ava';
import { LayoutGuard, type Size } from '../../actors/hosts/qemu-bridge/layout-guard.js';

const setup = () => {
  const restored: Size[] = [];
  const guard = new LayoutGuard(
    (_display, size) => restored.push(size),
    () => 0,
  );
  // The guest at 1280x800, asked 1280x768.
  guard.scanout(0, 1280, 800, 5120, () => undefined);
  guard.proposed(0, { width: 1280, height: 768 }, { width: 1280, height: 800 });
  return { guard, restored };
};

test('a crop in height only (the top rows as they were, a marker drawn meanwhile) gets the size back, not asked again', (t) => {
  const { guard, restored } = setup();
  guard.scanout(0, 1280, 768, 5120, () => ({ differing: 256, uniform: false }));
  t.deepEqual(restored, [{ width: 1280, height: 800 }]);
  t.false(guard.allows(0, { width: 1280, height: 768 }));
});

test('a guest that followed in height (its picture laid out again) keeps the size asked', (t) => {
  const { guard, restored } = setup();
  guard.scanout(0, 1280, 768, 5120, () => ({ differing: 16_384, uniform: false }));
  t.deepEqual(restored, []);
  t.true(guard.allows(0, { width: 1280, height: 768 }));
});

test('a picture of one colour tells nothing: the size asked is kept', (t) => {
  const { guard, restored } = setup();
  guard.scanout(0, 1280, 768, 5120, () => ({ differing: 0, uniform: true }));
  t.deepEqual(restored, []);
});

test('a new buffer of another row length is a guest that followed, whatever its picture', (t) => {
  const { guard, restored } = setup();
  guard.scanout(0, 1280, 768, 5632, () => ({ differing: 0, uniform: false }));
  t.deepEqual(restored, []);
});
