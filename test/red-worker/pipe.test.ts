import test from 'ava';
import { Pipe, type Drawing } from '../../actors/pipeline/red-worker/pipe.js';

const img = (left: number, top: number, right: number, bottom: number): Drawing => ({
  kind: 'image',
  box: { left, top, right, bottom },
  bitmap: {
    width: right - left,
    height: bottom - top,
    stride: (right - left) * 4,
    pixels: new Uint8Array((right - left) * (bottom - top) * 4),
  },
});
/** Takes `count` drawings (default all) off the pipe, named. */
const kinds = (p: Pipe, count = Infinity) => {
  const out: string[] = [];
  while (out.length < count) {
    const d = p.shift();
    if (!d) break;
    out.push(d.kind === 'image' ? `image ${d.box.left},${d.box.top}-${d.box.right},${d.box.bottom}` : d.kind);
  }
  return out;
};

test('an opaque drawing drops the queued ones it covers whole, not those it covers in part', (t) => {
  const dropped: Drawing[] = [];
  const p = new Pipe((d) => dropped.push(d));
  p.push(img(0, 0, 10, 10));
  p.push(img(5, 5, 30, 30));
  p.push({ kind: 'fill', box: { left: 0, top: 0, right: 20, bottom: 20 }, color: 1 });
  t.deepEqual(kinds(p), ['image 5,5-30,30', 'fill']);
  t.is(dropped.length, 1);
  t.is(p.dropped, 1);
});

test('COPY_BITS is a barrier: what it reads on the client is never dropped', (t) => {
  const p = new Pipe();
  p.push(img(0, 0, 10, 10));
  p.push({ kind: 'copy-bits', box: { left: 20, top: 0, right: 30, bottom: 10 }, srcX: 0, srcY: 0 });
  p.push(img(0, 0, 10, 10));
  t.deepEqual(kinds(p), ['image 0,0-10,10', 'copy-bits', 'image 0,0-10,10']);
});

test('a clipped drawing drops nothing; surface changes are barriers too', (t) => {
  const p = new Pipe();
  p.push(img(0, 0, 10, 10));
  p.push({ ...img(0, 0, 20, 20), clip: [{ left: 0, top: 0, right: 5, bottom: 5 }] } as Drawing);
  p.push({ kind: 'surface-create', width: 20, height: 20 });
  p.push(img(0, 0, 20, 20));
  t.deepEqual(kinds(p), ['image 0,0-10,10', 'image 0,0-20,20', 'surface-create', 'image 0,0-20,20']);
});

test('past its bounds the pipe collapses into one image, keeping surface changes in order', (t) => {
  const dropped: Drawing[] = [];
  const p = new Pipe((d) => dropped.push(d), 1 << 20, 8);
  p.push({ kind: 'surface-create', width: 40, height: 40 });
  for (let i = 0; i < 10; i++) p.push(img(i * 4, 0, i * 4 + 4, 4));
  t.true(p.overflowing);
  p.collapse([img(0, 0, 40, 40)]);
  t.false(p.overflowing);
  t.deepEqual(kinds(p), ['surface-create', 'image 0,0-40,40']);
  t.is(dropped.length, 10);
});

test('a drawing replacing queued ones takes the place of the first: two regions redrawn in turn keep taking turns', (t) => {
  const p = new Pipe();
  const video = () => img(100, 100, 420, 340);
  const marker = () => img(990, 16, 1006, 32);
  p.push(video());
  p.push(marker());
  t.deepEqual(kinds(p, 1), ['image 100,100-420,340'], 'the video frame goes first');
  // While it is sent, the guest draws the next frame and then restamps the marker, again and again.
  for (let i = 0; i < 3; i++) {
    p.push(video());
    p.push(marker());
  }
  // Going to the back, the marker would always be second and wait behind every frame.
  t.deepEqual(kinds(p), ['image 990,16-1006,32', 'image 100,100-420,340']);
  t.is(p.dropped, 5);
});

test('a drawing goes after a queued one that overlaps it without being covered, and never before a barrier', (t) => {
  const p = new Pipe();
  p.push(img(0, 0, 10, 10));
  p.push(img(5, 5, 30, 30));
  p.push(img(0, 0, 10, 10));
  t.deepEqual(kinds(p), ['image 5,5-30,30', 'image 0,0-10,10'], 'the first 0,0-10,10 dropped, the new one after what overlaps it');

  p.push(img(0, 0, 10, 10));
  p.push({ kind: 'mark' });
  p.push(img(40, 40, 50, 50));
  p.push(img(0, 0, 10, 10));
  t.deepEqual(kinds(p), ['mark', 'image 40,40-50,50', 'image 0,0-10,10'], 'nothing moves before a mark');

  p.push(img(0, 0, 10, 10));
  p.push(img(40, 40, 50, 50));
  p.push(img(20, 20, 30, 30));
  p.push(img(0, 0, 50, 50));
  t.deepEqual(kinds(p), ['image 0,0-50,50'], 'one covering them all takes the first place');
});
