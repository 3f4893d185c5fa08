import { createHash } from 'node:crypto';
import test from 'ava';
import { encodeQuic } from '../../../codecs/image/quic/encoder.js';
import { corpus } from '../../../codecs/image/fixtures/corpus.js';

// SHA-256 of the corpus's QUIC streams as spice-common's quic.c writes them (built outside the
// project on the same pixels, RGB32 and RGBA; the TypeScript encoder this project had before
// wrote the same bytes). A changed byte is a changed model walk somewhere.
const recorded: Record<string, { rgb32: string; rgba: string }> = {
  'artwork-waves-1280x800': {
    rgb32: '84a0b54eddf27df7ae67863c7aa0eafae8f8c87816b20cf90a6d79e0b3a32503',
    rgba: '0861e447f314038ad63f6bb91386d543ddad692d3a50bb7666cae6ef72585ed3',
  },
  'desktop-1280x800': {
    rgb32: '640ea192a4ac4e956bd98f3d399ac8e31ec8dddbe4f99b0f1f77cad68a629985',
    rgba: '5b4d2aa955000029f8de7ccf54aaf5c41663469316e750193284467bc68f761b',
  },
  'gradient-1280x800': {
    rgb32: 'ead18ec1ec9b400bb43d57ac575d62c2d8c0854e1c0ab2600b54fa9db3c07e7e',
    rgba: '40cd664e6e2f730f45cdd070fca17b4c74f4f2c96f1265bd43bae65587c7c14d',
  },
  'photo-aqua-1280x800': {
    rgb32: '33a9d32cad5f9a374b7193b33741eee864ce45fe050dfe9474671e44df188074',
    rgba: '00615748a96567388a921a19e01546dc0bfb0a43f3d159d4950dce829f8439dd',
  },
  'plasma-960x540': {
    rgb32: '7fe93d4271b271f688c4384999030b03200473406202b686e0d8f3c89551fbd1',
    rgba: '5f6651147a29b4accb5b8239a40e65dd05625f200a4e2fcee2404bffdf58596e',
  },
  'text-1280x800': {
    rgb32: '55b60011260c59aa72a441c9e37ea9f8d771744314a8ddd279e9bb57d38a85d3',
    rgba: '24d343b5c01cb2fafc56b88df50c81820c19da307500a2675a93f72155c5cd7c',
  },
};

test('the corpus encodes to the bytes quic.c writes', (t) => {
  const images = corpus();
  t.deepEqual(
    images.map((i) => i.name),
    Object.keys(recorded),
  );
  for (const { name, bitmap } of images) {
    for (const format of ['rgb32', 'rgba'] as const) {
      const sha = createHash('sha256').update(encodeQuic(bitmap, format)).digest('hex');
      t.is(sha, recorded[name]![format], `${name} ${format}`);
    }
  }
});
