import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { readPpm } from '../../codecs/image/ppm.js';
import { screendump as dumpHead, type Qmp } from '../../guest/qmp.js';

/** How two screens differ: nothing, their sizes, or how many pixels (RGB only) and where. */
export type ScreenDiff =
  | { readonly kind: 'same' }
  | { readonly kind: 'size'; readonly a: string; readonly b: string }
  | { readonly kind: 'pixels'; readonly count: number; readonly box: string };

export function diffScreens(a: Bitmap32, b: Bitmap32): ScreenDiff {
  if (a.width !== b.width || a.height !== b.height) return { kind: 'size', a: `${a.width}x${a.height}`, b: `${b.width}x${b.height}` };
  let count = 0;
  let [x0, y0, x1, y1] = [a.width, a.height, -1, -1];
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const i = y * a.stride + x * 4;
      const j = y * b.stride + x * 4;
      if (a.pixels[i] === b.pixels[j] && a.pixels[i + 1] === b.pixels[j + 1] && a.pixels[i + 2] === b.pixels[j + 2]) continue;
      count++;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  return count === 0 ? { kind: 'same' } : { kind: 'pixels', count, box: `${x0},${y0}..${x1},${y1}` };
}

export const describeDiff = (d: ScreenDiff): string =>
  d.kind === 'same' ? 'identical' : d.kind === 'size' ? `sizes differ: ${d.a} vs ${d.b}` : `${d.count} pixels differ in ${d.box}`;

/** Reads a P6 file (screendump, spicy-screenshot) as a bitmap; throws on a malformed one. */
export function readScreen(path: string): Bitmap32 {
  const image = readPpm(readFileSync(path));
  if (!image.ok) throw new Error(`${path}: ${image.error}`);
  return image.value;
}

/** What spice-gtk's spicy-screenshot shows of the server at `port` (it connects, waits for the display, saves it). */
export async function spicyScreenshot(port: number, dir: string, timeoutMs = 30_000): Promise<Bitmap32> {
  const file = join(dir, `spicy-${Date.now()}-${Math.random().toString(36).slice(2)}.ppm`);
  await promisify(execFile)('spicy-screenshot', ['-h', '127.0.0.1', '-p', String(port), '-o', file], { timeout: timeoutMs });
  try {
    return readScreen(file);
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Waits until the client's screen equals the guest's (QEMU's screendump), pixel for pixel. The
 * guest may be changing (a blinking cursor, a clock), and the screenshot takes a while: a
 * comparison counts when the client's screen equals one of the dumps taken just before and just
 * after it, each a frame the guest really showed. Resolves with the matched screen and the
 * attempts it took; rejects with what the attempts saw.
 */
export async function clientMatchesGuest(
  dump: () => Promise<Bitmap32>,
  client: () => Promise<Bitmap32>,
  { attempts = 20, pauseMs = 300 } = {},
): Promise<{ screen: Bitmap32; attempts: number }> {
  let last = '';
  let unstable = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const before = await dump();
    const shot = await client();
    const after = await dump();
    const d = diffScreens(shot, before);
    if (d.kind === 'same' || diffScreens(shot, after).kind === 'same') return { screen: shot, attempts: attempt };
    if (diffScreens(before, after).kind !== 'same') unstable++;
    last = describeDiff(d);
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  throw new Error(
    `the client never showed the guest's screen in ${attempts} attempts (the guest changed during ${unstable} of them); last, client vs the dump before: ${last}`,
  );
}

/** What a spice-gtk probe shows on `display`, read through a PPM it writes in `dir`. */
export async function probeScreenshot(probe: { command(cmd: Record<string, unknown>): Promise<unknown> }, dir: string, display = 0) {
  const path = join(dir, `probe-${Date.now()}.ppm`);
  await probe.command({ cmd: 'screenshot', path, display });
  try {
    return readScreen(path);
  } finally {
    rmSync(path, { force: true });
  }
}

/** What QMP screendump shows of `head` of the device `video0` (virtio-vga with max_outputs). */
export async function headScreen(guest: { qmp: Qmp; dir: string }, head: number): Promise<Bitmap32> {
  const file = join(guest.dir, `head-${head}.ppm`);
  await dumpHead(guest.qmp, file, 'video0', head);
  return readScreen(file);
}
