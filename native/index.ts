import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An open file descriptor owned by whoever holds it (close it exactly once). */
export type Fd = number & { readonly __brand: 'Fd' };

interface NativeAddon {
  dup(fd: number): number;
  close(fd: number): void;
  memfdCreate(name: string, size: number): number;
  mapShared(fd: number, size: number): SharedArrayBuffer;
}

/** The package root: the nearest directory up from here with a package.json (source or dist). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('spice-companion: package root not found');
    dir = up;
  }
  return dir;
}

const addon = createRequire(import.meta.url)(join(packageRoot(), 'native/build/Release/spice_native.node')) as NativeAddon;

/** A duplicate of `fd` (close-on-exec), e.g. to hand a socket to another thread. */
export const dup = (fd: number): Fd => addon.dup(fd) as Fd;
export const close = (fd: Fd): void => addon.close(fd);
/** An anonymous shared-memory file of `size` bytes. */
export const memfdCreate = (name: string, size: number): Fd => addon.memfdCreate(name, size) as Fd;
/** Maps the first `size` bytes of `fd` shared; the mapping outlives the fd and lasts while the buffer is referenced. */
export const mapShared = (fd: Fd, size: number): SharedArrayBuffer => addon.mapShared(fd, size);
