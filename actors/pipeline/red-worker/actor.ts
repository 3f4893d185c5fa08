import type { ImageCompressionMode } from '../../../codecs/image/choose.js';
import { displayProtocol } from '../../../codecs/protocol/channels/display.js';
import { DisplayCap, hasCap } from '../../../codecs/protocol/enums.js';
import { encodeMessage } from '../../../codecs/protocol/table.js';
import { close, dup, eventfdSignal, mapShared, Poller, type Fd } from '../../../native/index.js';
import { checkDeviceMemory } from '../../../native/qxl/device-memory.js';
import { QxlConsumer } from '../../../native/qxl/endpoints.js';
import { defineActor } from '../../../runtime/actor.js';
import { moved } from '../../../runtime/envelope.js';
import { flip } from '../../../runtime/port.js';
import type { Compressed } from '../../../codecs/image/compress-job.js';
import { PoolClient } from './pool-client.js';
import { bands } from './bands.js';
import {
  cursorFromWorker,
  displayToWorker,
  redWorkerReports,
  workerFromDispatcher,
  workerToPool,
  actorName,
  type CursorEvent,
  type RedWorkerContract,
} from '../../contracts.js';
import { Canvas } from '../../../codecs/image/canvas.js';
import { SharedBuffers } from '../../../codecs/image/shared-buffers.js';
import { drawingMessage } from './drawing-message.js';
import { intersect, isEmpty, type Box } from '../../../codecs/box.js';
import { Pipe, type Drawing } from './pipe.js';
import { QxlReader, type QxlWork } from './qxl-reader.js';
import type { Cell } from '../../../runtime/meter.js';
import { gradualityLevel } from '../../../codecs/image/graduality.js';
import { Streams } from './streams/streams.js';
import { PoolStreamEncoders } from './streams/stream-encoders.js';
import { createGlzDictionary, glzStats, type GlzDictionary } from '../../../codecs/image/glz/dictionary.js';

/** SpiceImageCompression numbers (PREFERRED_COMPRESSION) and the modes they name. */
const compressionModes: Record<number, ImageCompressionMode> = {
  1: 'off',
  2: 'auto_glz',
  3: 'auto_lz',
  4: 'quic',
  5: 'glz',
  6: 'lz',
  7: 'lz4',
};

/**
 * The red-worker of one display: consumes the QXL command ring its host fills, draws into the
 * server's copy of the surface, and keeps what its client still has to get in a pipe that drops
 * overdrawn drawings (and collapses into one image when the client is far behind). Images are
 * compressed by the shared compressor pool at send time, so dropped ones cost nothing, and go to
 * the display channel encoded, in order, as its link takes them.
 */
export default defineActor<RedWorkerContract>(
  (ctx) => {
    const { init } = ctx;
    const host = ctx.peer(workerFromDispatcher(init.id));
    const display = ctx.peer(flip(displayToWorker(init.id)));
    const cursor = ctx.peer(flip(cursorFromWorker(init.id)));
    const pool = new PoolClient(ctx.peer(workerToPool(init.id)), init.poolShare, ctx.log);
    ctx.peers$.subscribe((e) => {
      if (e.type === 'down' && e.peer === actorName.compressorPool) pool.failAll('the compressor pool went down');
    });
    let canvas: Canvas | null = null;
    const snapshots = new SharedBuffers();
    const recycle = (d: Drawing) => {
      if ('bitmap' in d) snapshots.give(d.bitmap.pixels.buffer as SharedArrayBuffer);
    };
    const pipe = new Pipe(recycle);
    const snapshot = (c: Canvas, box: Box) => c.region(box, (n) => snapshots.take(n));
    // The one hook of video streams: each drawing's box goes through them, the parts they do not take are drawn as usual.
    const streams =
      init.streaming === 'off'
        ? null
        : new Streams(init.streaming, {
            log: ctx.log,
            codecs: init.videoCodecs,
            encoders: new PoolStreamEncoders(pool),
            // Streams also push from their timers (a frame in its slot, an idle stream's end): the pipe moves then too.
            push: (d) => {
              pipe.push(d);
              void pump();
            },
            pushFrame: (f) => {
              pipe.replace((q) => q.kind === 'stream-frame' && q.id === f.id, f);
              void pump();
            },
            snapshot: (box) => snapshot(canvas!, box),
            photoLike: (box) => {
              const c = canvas!;
              const view = c.bitmap.pixels.subarray(box.top * c.bitmap.stride + box.left * 4);
              return (
                gradualityLevel({ width: box.right - box.left, height: box.bottom - box.top, stride: c.bitmap.stride, pixels: view }) !==
                'low'
              );
            },
            bounds: () => canvas?.bounds ?? null,
            created: (codec) => countStream(codec),
          });
    ctx.parent.messages$.subscribe((m) => streams?.setLink(m));
    let client: {
      session: number;
      caps: readonly number[];
      mode: ImageCompressionMode;
      marked: boolean;
      /** The client's GLZ dictionary: a fresh one each client, so its ids start at 0. */
      glz?: GlzDictionary;
    } | null = null;
    let imageId = 0n;
    let sent = 0;
    const { meter } = ctx;
    meter.counter('spice_display_drawings_sent_total', 'Drawings sent to the display channel (frames, in SPICE terms).', {}, () => sent);
    meter.counter(
      'spice_display_drawings_dropped_total',
      'Drawings dropped unsent: covered by newer ones in the pipe.',
      {},
      () => pipe.dropped,
    );
    /** GLZ pixels by how they were coded, over this display's clients so far (earlier clients' dictionaries are gone). */
    const glzPast = { crossPixels: 0, samePixels: 0, literalPixels: 0 };
    const glzPixels = (kind: keyof typeof glzPast) => () => glzPast[kind] + (client?.glz ? glzStats(client.glz)[kind] : 0);
    const retireGlz = () => {
      if (!client?.glz) return;
      const now = glzStats(client.glz);
      for (const kind of Object.keys(glzPast) as (keyof typeof glzPast)[]) glzPast[kind] += now[kind];
    };
    for (const [coded, kind] of [
      ['earlier-image', 'crossPixels'],
      ['same-image', 'samePixels'],
      ['literal', 'literalPixels'],
    ] as const) {
      meter.counter(
        'spice_display_glz_pixels_total',
        'GLZ image pixels by how they were coded: matches into earlier images of the window, matches in their own image, literals.',
        { coded },
        glzPixels(kind),
      );
    }
    /** A counter with one label, a cell made for each value as it first comes (a handful: encodings, codecs). */
    const labelled = (name: string, help: string, label: string) => {
      const cells = new Map<string, Cell>();
      return (value: string) => {
        let cell = cells.get(value);
        if (!cell) cells.set(value, (cell = meter.counter(name, help, { [label]: value })));
        cell.value++;
      };
    };
    const countImage = labelled('spice_display_images_total', 'Images sent, by the encoding chosen (raw: uncompressed).', 'encoding');
    const countStream = labelled('spice_display_streams_total', 'Video streams created, by codec.', 'codec');
    meter.counter('spice_display_stream_frames_total', 'Video stream frames sent.', {}, () => streams?.frames ?? 0);
    let device: { consumer: QxlConsumer; reader: QxlReader; poller: Poller; producerFd: Fd } | null = null;

    /** While the cursor channel is behind, its ring waits in the device (the host keeps its latest cursor); taken again once there is room. */
    const toCursor = (e: CursorEvent) => {
      const sent = cursor.send(e).catch((err: unknown) => ctx.log.warn({ err }, 'cursor event not sent'));
      if (cursor.waiting > 0) void sent.then(consume);
    };

    /** Tells the device's host whether anyone is shown this display, so that it may rest while nobody is. */
    const watched = () => void host.send({ kind: 'watched', display: init.id, watched: client !== null });

    /** The client's GLZ dictionary when its mode encodes against it. */
    const usesGlz = (c: NonNullable<typeof client>): GlzDictionary | undefined =>
      c.glz && (c.mode === 'glz' || c.mode === 'auto_glz') ? c.glz : undefined;
    /**
     * An update's pixels as drawings: a large one in bands, which the pool compresses on all its
     * threads at once. Not for a GLZ client: its images are encoded one at a time anyway, and a
     * band finds the rows it repeats in the same band of the update before, which the encoder,
     * looking at the image before (the band above), misses (the guest's text workload: 6-9x the bytes).
     */
    const images = (c: Canvas, box: Box, clip?: readonly Box[]): Drawing[] =>
      (client && usesGlz(client) ? [box] : bands(box)).map((band) => ({
        kind: 'image',
        box: band,
        ...(clip && { clip }),
        bitmap: snapshot(c, band),
      }));

    /** What a client needs to show the surface from scratch: create, monitors, all of it, mark. */
    const introduce = (c: Canvas) => {
      if (!client) return;
      pipe.push({ kind: 'surface-create', width: c.width, height: c.height });
      if (hasCap(client.caps, DisplayCap.monitorsConfig)) pipe.push({ kind: 'monitors', width: c.width, height: c.height });
      // One image, as spice-server sends it (and spicy-screenshot, which saves the first drawing it gets, expects it whole).
      pipe.push({ kind: 'image', box: c.bounds, bitmap: snapshot(c, c.bounds) });
      if (!client.marked) {
        pipe.push({ kind: 'mark' });
        client.marked = true;
      }
    };

    const apply = (w: QxlWork) => {
      switch (w.kind) {
        case 'surface-create':
          if (canvas && client) {
            streams?.surfaceGone();
            pipe.push({ kind: 'surface-destroy' });
          }
          canvas = new Canvas(w.width, w.height);
          if (client) introduce(canvas);
          return;
        case 'surface-destroy':
          if (canvas && client) {
            streams?.surfaceGone();
            pipe.push({ kind: 'surface-destroy' });
          }
          canvas = null;
          return;
        case 'copy':
        case 'fill':
        case 'copy-bits': {
          if (!canvas) return void ctx.log.warn({ kind: w.kind }, 'drawing before any surface: dropped');
          if (w.kind === 'copy') canvas.copy(w.box, w.src, w.srcX, w.srcY, w.clip);
          else if (w.kind === 'fill') canvas.fill(w.box, w.color, w.clip);
          else canvas.copyBits(w.box, w.srcX, w.srcY, w.clip);
          const box = intersect(w.box, canvas.bounds);
          if (!client || isEmpty(box)) return;
          const clip = w.clip ? { clip: w.clip } : {};
          const parts = streams ? streams.damage(box, w.kind, performance.now()) : [box];
          if (w.kind === 'copy') for (const part of parts) for (const d of images(canvas, part, w.clip)) pipe.push(d);
          else if (w.kind === 'fill') pipe.push({ kind: 'fill', box, ...clip, color: w.color });
          else pipe.push({ kind: 'copy-bits', box: w.box, ...clip, srcX: w.srcX, srcY: w.srcY });
          return;
        }
        case 'update':
          return;
        case 'cursor-set':
          toCursor({
            kind: 'cursor-set',
            x: w.x,
            y: w.y,
            visible: w.visible,
            shape: {
              unique: w.shape.unique,
              type: w.shape.type === 1 ? 'mono' : 'alpha',
              width: w.shape.width,
              height: w.shape.height,
              hotX: w.shape.hotX,
              hotY: w.shape.hotY,
              data: moved(w.shape.data.slice()),
            },
          });
          return;
        case 'cursor-move':
          toCursor({ kind: 'cursor-move', x: w.x, y: w.y });
          return;
        case 'cursor-hide':
          toCursor({ kind: 'cursor-hide' });
          return;
        case 'cursor-trail':
          toCursor({ kind: 'cursor-trail', length: w.length, frequency: w.frequency });
          return;
      }
    };

    /** Takes every command waiting on both rings, then lets the pipe move. */
    const consume = () => {
      if (!device) return;
      const { consumer, reader } = device;
      for (const ring of [consumer.commands, consumer.cursor]) {
        for (;;) {
          if (ring === consumer.cursor && cursor.waiting > 0) break;
          const cmd = ring.pop();
          if (cmd === undefined) break;
          if ('error' in cmd) {
            ctx.log.error({ problem: cmd }, 'QXL ring is corrupt: the device is dropped');
            return detach();
          }
          const work = reader.read(cmd);
          if ('error' in work) ctx.log.warn({ reason: work.error }, 'bad QXL command dropped');
          else apply(work);
          const released = consumer.release(cmd);
          if (released) ctx.log.warn({ problem: released }, 'QXL command could not be released');
        }
      }
      consumer.releases.flush();
      streams?.endTurn(performance.now());
      void pump();
    };

    const detach = () => {
      if (!device) return;
      device.poller.close();
      close(device.producerFd);
      device = null;
    };

    host.messages$.subscribe((m) => {
      // A device replacing another (the host restarted): the client forgets the old picture.
      if (device && client) {
        streams?.surfaceGone();
        pipe.push({ kind: 'reset' });
        client.marked = false;
      }
      detach();
      const h = m.device;
      const memory = mapShared(h.memoryFd as Fd, h.size);
      const bad = checkDeviceMemory(memory);
      if (bad) return void ctx.log.error({ reason: bad.reason }, 'device memory refused');
      // The fds are the host's: this thread keeps duplicates of its own (the poller takes one itself).
      const producerFd = dup(h.producerEventFd);
      const consumer = new QxlConsumer(memory, [h.slot], () => eventfdSignal(producerFd));
      const poller = new Poller(h.consumerEventFd as Fd, 'eventfd', (err) => {
        if (err) ctx.log.error({ err: err.message }, 'device wake-up failed');
        else consume();
      });
      device = { consumer, reader: new QxlReader(new Uint8Array(memory), consumer.slots), poller, producerFd };
      poller.start();
      watched();
      consume();
    });

    display.messages$.subscribe((m) => {
      switch (m.kind) {
        case 'client':
          pipe.clear();
          retireGlz();
          client = {
            session: m.session,
            caps: m.caps,
            mode: init.imageCompression,
            marked: false,
            // One dictionary per client shared by its displays is not there yet: until then only
            // display 0 sends GLZ (the client has one window for all of them), the others LZ.
            ...(init.id === 0 && { glz: createGlzDictionary(m.glzWindowPixels) }),
          };
          streams?.setClient(m.caps);
          watched();
          if (canvas) introduce(canvas);
          void pump();
          return;
        case 'client-gone':
          if (client?.session === m.session) {
            retireGlz();
            client = null;
            streams?.setClient(null);
            pipe.clear();
            watched();
          }
          return;
        case 'preferred-compression': {
          const mode = compressionModes[m.compression];
          if (client?.session === m.session && mode) client.mode = mode;
          return;
        }
        case 'preferred-video-codecs':
          if (client?.session === m.session) streams?.setPreferred(m.codecs);
          return;
        case 'stream-report':
          if (client?.session === m.session) streams?.report(m.report, performance.now());
          return;
      }
    });

    type Wire = { session: number; type: number; body: Uint8Array };
    /**
     * The last GLZ job submitted: with a dictionary, images are encoded one at a time in pipe
     * order, so the ids the dictionary hands out follow the order the client gets them in.
     */
    let glzTail: Promise<unknown> = Promise.resolve();
    /** A drawing's display message; an image's once the pool has compressed it (or as it is, if the pool failed it). Never rejects. */
    const encode = async (
      d: Drawing,
      session: number,
      mode: ImageCompressionMode,
      lz4: boolean,
      glz: GlzDictionary | undefined,
    ): Promise<Wire | null> => {
      try {
        if (d.kind === 'stream-frame') {
          // A frame whose stream ended meanwhile gives nothing.
          const frame = streams ? await streams.encode(d) : null;
          recycle(d);
          return frame && { session, ...encodeMessage(displayProtocol.server, drawingMessage(d, frame), frame.frame.length + 64) };
        }
        if (d.kind !== 'image') return { session, ...encodeMessage(displayProtocol.server, drawingMessage(d)) };
        const request = { encoding: 'auto', mode, clientHasLz4: lz4, ...(glz && { glzDictionary: glz.memory }) } as const;
        const compressing = glz ? glzTail.then(() => pool.compress(d.bitmap, request)) : pool.compress(d.bitmap, request);
        if (glz) glzTail = compressing.catch(() => undefined);
        const result = await compressing.catch((err: unknown): Compressed => {
          ctx.log.warn({ err }, 'image not compressed: sent as it is');
          return { chosen: 'raw', encoding: 'raw' };
        });
        countImage(result.encoding);
        const size = (result.encoding === 'raw' ? d.bitmap.pixels.byteLength : result.data.length) + 256;
        const message = encodeMessage(displayProtocol.server, drawingMessage(d, { id: ++imageId << 32n, result }), size);
        recycle(d);
        return { session, ...message };
      } catch (err) {
        ctx.log.error({ err, kind: d.kind }, 'drawing not encoded: dropped');
        return null;
      }
    };

    /**
     * Images and stream frames are encoded in the pool, within the display's share; a stream's
     * frame waits in the pipe (where a newer one replaces it) while the one before is encoding.
     */
    const canLeave = (d: Drawing) =>
      d.kind === 'stream-frame' ? pool.free > 0 && !streams?.encoding(d.id) : pool.free > 0 || d.kind !== 'image';
    let pumping = false;
    /**
     * Sends the pipe's head in order while the display channel takes it. Drawings leave the pipe
     * only while the channel has credit (a client that is behind takes one at a time, as
     * spice-server sends, and what waits stays where a newer drawing can replace it); then as
     * many as the display's share of the pool allows compress at once (the bands of a large
     * update on every pool thread), each sent as soon as it and those before it are ready.
     */
    const pump = async () => {
      if (pumping) return;
      pumping = true;
      const ahead: Promise<Wire | null>[] = [];
      const credited = () => display.availableCredits > display.queued + display.waiting;
      try {
        while (client && (pipe.length > 0 || ahead.length > 0)) {
          if (ahead.length === 0) {
            await display.credited();
            // Closed: the actor is stopping.
            if (!client || pipe.length === 0 || display.state === 'closed') break;
          }
          if (pipe.overflowing && canvas) pipe.collapse(images(canvas, canvas.bounds));
          const { session, mode, caps } = client;
          const lz4 = hasCap(caps, DisplayCap.lz4Compression);
          const glz = usesGlz(client);
          if (ahead.length === 0 || credited()) {
            while (pipe.length > 0 && ahead.length < pool.share && canLeave(pipe.peek()!))
              ahead.push(encode(pipe.shift()!, session, mode, lz4, glz));
          }
          // Nothing to wait for but room in the pool (jobs of a client that has gone still run there).
          if (ahead.length === 0) {
            await pool.room();
            continue;
          }
          const wire = await ahead.shift()!;
          if (!wire || client?.session !== wire.session) continue;
          // Waits while the display channel holds its link (its client is not keeping up).
          await display.send({ kind: 'wire', session: wire.session, type: wire.type, body: moved(wire.body) });
          sent++;
        }
      } catch (err) {
        ctx.log.error({ err }, 'display pipe failed');
      } finally {
        pumping = false;
      }
      if (client && pipe.length > 0 && display.state !== 'closed') void pump();
      else void ctx.parent.send({ kind: 'stats', dropped: pipe.dropped, sent });
    };

    ctx.onStop(() => {
      streams?.close();
      detach();
    });
  },
  { rules: redWorkerReports },
);
