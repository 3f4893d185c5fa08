// Builds the native addon and moves it into native/build/Release/ with one rename, so that a
// companion or a test running from this checkout never finds the file missing or half written:
// one starting during the build loads the old addon, one starting after it the new. node-gyp
// builds in place (it empties build/ first), hence a staging directory beside native/: at the same
// depth, so binding.gyp's `../codecs/...` sources resolve as they do from native/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const native = dirname(fileURLToPath(import.meta.url));
const product = join('build', 'Release', 'spice_native.node');
const stage = mkdtempSync(join(native, '..', '.native-build-'));
try {
  copyFileSync(join(native, 'binding.gyp'), join(stage, 'binding.gyp'));
  symlinkSync(join(native, 'src'), join(stage, 'src'));
  // npm names its own node-gyp for scripts; run by hand, the one on PATH (npx node-gyp).
  const gyp = process.env.npm_config_node_gyp;
  const [command, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
  execFileSync(command, [...args, 'rebuild', '--directory', stage], { stdio: 'inherit' });
  mkdirSync(join(native, 'build', 'Release'), { recursive: true });
  renameSync(join(stage, product), join(native, product));
} finally {
  rmSync(stage, { recursive: true, force: true });
}
