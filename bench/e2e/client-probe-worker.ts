/** The client probe's thread (client-probe.ts): connects, then reports drawings, markers and samples. */
import { parentPort, workerData } from 'node:worker_threads';
import { intersects, type Box } from '../../codecs/box.js';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { crop } from '../../codecs/image/crop.js';
import type { ClientDisplay } from '../../client/display.js';
import type { ClientPlayback } from '../../client/playback.js';
import { SpiceClient } from '../../client/session.js';
import { ChannelType } from '../../codecs/protocol/enums.js';
import { OnsetDetector } from './beep.js';
import { MarkerReader, markerBox } from './marker.js';
import { MovedRows, noRows } from './moved-rows.js';
import { wallClock, type ChannelName, type ProbeEvent, type ProbeRequest, type ProbeSample, type ProbeTarget } from './client-probe.js';

const target = workerData as ProbeTarget;
const port = parentPort!;
const post = (e: ProbeEvent) => port.postMessage(e);
const retryMs = 20;

/** Connects, retrying while the server is not up yet (refused, or closed during the link). */
async function connect(): Promise<SpiceClient> {
  const deadline = Date.now() + target.connectTimeoutMs;
  for (;;) {
    try {
      return await SpiceClient.connect(
        { host: target.host, port: target.port },
        {
          open: [ChannelType.inputs, ChannelType.cursor, ChannelType.display, ChannelType.playback],
          videoCodecs: target.videoCodecs ?? [],
        },
      );
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }
}

const rows = new MovedRows();
/** Captures asked for: marker n -> the box to copy when it first shows. */
const captures = new Map<number, Box>();

/** Posts the first drawing, and each new marker value a drawing over the marker shows (with the capture asked at it); looks where each image's rows were. */
function watch(display: ClientDisplay): void {
  display.beforeCopy = (dest, image, srcX, srcY, bytes) => {
    if (display.surface) rows.inspect(display.surface.bitmap, dest, image, srcX, srcY, bytes);
  };
  // The display drew before the session's last channel linked (watch starts then): its first drawing's time.
  let first = display.firstDrawnAt === null;
  if (!first) post({ kind: 'first-draw', at: display.firstDrawnAt! });
  let last: number | null = null;
  const marker = new MarkerReader();
  /**
   * A capture whose marker came by itself (drawn over a stream, losslessly, ahead of the stream's
   * frame of the same guest picture): taken at the stream's next frame, or as the marker showed
   * if none comes within `frameWaitMs` (a server without a stream there).
   */
  let waiting: { n: number; box: Box; fallback: Bitmap32; timer: ReturnType<typeof setTimeout> } | null = null;
  const captured = (n: number, bitmap: Bitmap32) =>
    port.postMessage({ kind: 'captured', n, bitmap } satisfies ProbeEvent, [bitmap.pixels.buffer as ArrayBuffer]);
  let framesSeen = 0;
  display.drawn$.subscribe((box) => {
    const at = wallClock();
    if (first) {
      first = false;
      post({ kind: 'first-draw', at: display.firstDrawnAt ?? at });
    }
    const screen = display.surface?.bitmap;
    const frame = display.streamFrames !== framesSeen;
    framesSeen = display.streamFrames;
    if (screen && waiting && frame) {
      clearTimeout(waiting.timer);
      captured(waiting.n, crop(screen, waiting.box));
      waiting = null;
    }
    if (!screen || !intersects(box, markerBox(screen.width))) return;
    const n = marker.read(screen);
    if (n !== null && n !== last) {
      post({ kind: 'mark', n, at });
      const want = captures.get(n);
      if (want) {
        captures.delete(n);
        if (frame) captured(n, crop(screen, want));
        else {
          if (waiting) clearTimeout(waiting.timer);
          const w = { n, box: want, fallback: crop(screen, want) };
          waiting = { ...w, timer: setTimeout(() => (captured(w.n, w.fallback), (waiting = null)), frameWaitMs) };
        }
      }
    }
    if (n !== null) last = n;
  });
}

/** How long a capture whose marker came alone waits for a stream frame (a stream ends 300 ms after its last damage at the soonest, losslessly). */
const frameWaitMs = 250;

/** Posts each burst onset the playback channel's audio starts (beep.ts). */
function listen(playback: ClientPlayback): void {
  const onsets = new OnsetDetector();
  playback.packets$.subscribe((p) => {
    if (onsets.packet(p.pcm)) post({ kind: 'beep', at: wallClock() });
  });
}

/** Bytes read by the playback channels linked before the current one. */
let playbackBytesBefore = 0;

function sample(client: SpiceClient): ProbeSample {
  const bytes: Record<ChannelName, number> = {
    main: client.main.socket.bytesRead,
    display: client.display?.channel.socket.bytesRead ?? 0,
    cursor: client.cursor?.socket.bytesRead ?? 0,
    inputs: client.inputs?.socket.bytesRead ?? 0,
    playback: playbackBytesBefore + (client.playback?.channel.socket.bytesRead ?? 0),
  };
  const errors = [
    client.main.error,
    client.display?.channel.error,
    client.display?.error,
    client.cursor?.error,
    client.inputs?.error,
    client.playback?.channel.error,
  ].filter((e): e is string => typeof e === 'string');
  const tally = client.display?.tally;
  return {
    at: wallClock(),
    bytes,
    draws: client.display?.draws ?? 0,
    tally: tally ?? { images: {}, copyBits: 0, fills: 0 },
    rows: client.display ? rows.figures : noRows,
    streamFrames: client.display?.streamFrames ?? 0,
    errors,
  };
}

let client: SpiceClient | null = null;
let closing = false;
port.on('message', (r: ProbeRequest) => {
  if (r.kind === 'capture') return void captures.set(r.n, r.box);
  if (r.kind === 'close') {
    closing = true;
    client?.close();
    port.close();
    return;
  }
  if (!client) return post({ kind: 'failed', error: 'asked before the client was connected' });
  if (r.kind === 'sample') return post({ kind: 'sample', id: r.id, sample: sample(client) });
  const c = client;
  playbackBytesBefore += c.playback?.channel.socket.bytesRead ?? 0;
  c.openPlayback(r.opus).then(
    () => post({ kind: 'playback-linked', id: r.id }),
    (e: unknown) => post({ kind: 'failed', error: `playback: ${e instanceof Error ? e.message : String(e)}` }),
  );
});

try {
  client = await connect();
  if (client.playback) listen(client.playback);
  client.playbackLinked$.subscribe(listen);
  if (closing) client.close();
  else {
    post({ kind: 'connected', at: wallClock() });
    watch(await client.displayReady(target.connectTimeoutMs));
  }
} catch (e) {
  if (!closing) post({ kind: 'failed', error: e instanceof Error ? e.message : String(e) });
}
