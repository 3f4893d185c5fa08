import type { ImageCompressionMode } from '../../../codecs/image/choose.js';
import { displayProtocol } from '../../../codecs/protocol/channels/display.js';
import { ChannelType, DisplayCap, hasCap, ImageFlags, ResourceType } from '../../../codecs/protocol/enums.js';
import { encodeMessage } from '../../../codecs/protocol/table.js';
import { close, dup, eventfdSignal, mapShared, Poller, type Fd } from '../../../native/index.js';
import { checkDeviceMemory } from '../../../native/qxl/device-memory.js';
import { QxlConsumer } from '../../../native/qxl/endpoints.js';
import { WriteGenerations, writtenBefore } from './write-generations.js';
import type { QxlCommand } from '../../../native/qxl/layout.js';
import { defineActor } from '../../../runtime/actor.js';
import { moved } from '../../../runtime/envelope.js';
import { flip } from '../../../runtime/port.js';
import type { Compressed } from '../../../codecs/image/compress-job.js';
import { PoolClient } from './pool-client.js';
import { compressesHere, compressHere } from './compress-here.js';
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
import { drawingMessage, type ImageSource } from './drawing-message.js';
import { intersect, isEmpty, sameBox, type Box } from '../../../codecs/box.js';
import { Pipe, type Drawing } from './pipe.js';
import { QxlReader, type QxlWork } from './qxl-reader.js';
import type { Cell } from '../../../runtime/meter.js';
import { isPhotoLike } from '../../../codecs/image/graduality.js';
import { Streams } from './streams/streams.js';
import { PoolStreamEncoders } from './streams/stream-encoders.js';
import { glzStats, type GlzDictionary } from '../../../codecs/image/glz/dictionary.js';
import type { EncodedMessage, NetTest } from '../../contracts.js';
import { LossyAreas } from './lossy.js';
import { goesLossy, wanOn } from './wan.js';
import { SentCell } from '../../../channel/sent-cell.js';
import { PixmapCache, pixmapCachePixels, type CacheUse, type CacheVerdict, type ChannelWaitFor } from './cache/pixmap-cache.js';
import { contentKey } from './cache/content-key.js';
import { motionSecondsHelp, planMotion, type MotionPart } from '../../../codecs/motion/plan.js';
import type { Bitmap32 } from '../../../codecs/image/bitmap.js';

/**
 * Bytes of display messages that go to the display channel in one link message, at most (a larger
 * one goes alone): with its window of two, what the channel holds beyond the pipe, where newer
 * drawings could still replace it, grows by at most this much twice (26 ms at 10 Mbit/s).
 */
const maxBatchBytes = 16 * 1024;
const stillEncoding = Symbol('still encoding');
/**
 * Resolves at the end of this turn, after its promise continuations: a drawing encoded here
 * (small images, cache hits, copies) is ready by then.
 */
const turnEnd = () => new Promise<typeof stillEncoding>((resolve) => setImmediate(resolve, stillEncoding));

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
 * compressed at send time (small ones on this thread, the rest by the shared compressor pool), so
 * dropped ones cost nothing, and go to
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
    // A frame read in place holds the surface itself, not a snapshot.
    const recycle = (d: Drawing) => {
      if ('bitmap' in d && !(d.kind === 'stream-frame' && d.inPlace)) snapshots.give(d.bitmap.pixels.buffer as SharedArrayBuffer);
    };
    /** The red-worker's own writes into the surface (drawing commands), for frames read in place. */
    let surfaceWrites = 0;
    /** The device memory, whose host counts its writes into the surface in it. */
    let deviceMemory: SharedArrayBuffer | null = null;
    const pipe = new Pipe(recycle);
    const generations = new WriteGenerations();
    const snapshot = (c: Canvas, box: Box) => {
      const bitmap = c.region(box, (n) => snapshots.take(n));
      // After the copy: every write that began before its end may be in it.
      generations.snapshotted();
      return bitmap;
    };
    /** Whether the surface shows something smooth, photo-like, in `box` (spice-server's graduality, sampled sparsely). */
    const photoLike = (c: Canvas, box: Box): boolean => {
      const view = c.bitmap.pixels.subarray(box.top * c.bitmap.stride + box.left * 4);
      return isPhotoLike({ width: box.right - box.left, height: box.bottom - box.top, stride: c.bitmap.stride, pixels: view });
    };
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
            view: (box) => (canvas && canvas.bitmap.pixels.buffer === deviceMemory ? canvas.view(box) : null),
            writes: () => surfaceWrites,
            photoLike: (box) => photoLike(canvas!, box),
            bounds: () => canvas?.bounds ?? null,
            created: (codec) => countStream(codec),
            playbackLatency: (ms) => void ctx.parent.send({ kind: 'playback-latency', ms }),
          });
    /** The client's link, as main's net test measured it (none yet: a fast one). */
    let link: NetTest | null = null;
    ctx.parent.messages$.subscribe((m) => {
      if (m.kind === 'client-caches') return cachesCame(m.session, m.glz.value, m.pixmaps?.value ?? null);
      if (m.kind === 'audio') return streams?.setAudio(m.playing);
      link = m;
      streams?.setLink(m);
      // Whether drags pay depends on the link.
      if (client) watched();
    });
    interface ClientState {
      session: number;
      caps: readonly number[];
      mode: ImageCompressionMode;
      marked: boolean;
      /** The client's GLZ dictionary, shared by its displays (the root's): a fresh one each client, so its ids start at 0. */
      glz?: GlzDictionary;
      /** What the client's pixmap cache holds, shared by its displays that gave its id (none when it offered no room). */
      cache?: PixmapCache;
      /** Serials of the tracked messages as the display channel sends them. */
      sent: SentCell;
      /** The host's write count when the client's last whole picture was taken: writes below it are in that picture. */
      pictureStart?: number;
    }
    let client: ClientState | null = null;
    /** A client waiting for its GLZ dictionary before its first picture, so that all its images may be GLZ. */
    let waiting: ClientState | null = null;
    let imageId = 0n;
    /** The cache uses of messages sent to the display channel, by track, until the client's SentCell has their serial. */
    const tracked = new Map<number, readonly CacheUse[]>();
    let track = 0;
    /**
     * Gives the cache the serials of the tracked messages that went: the newest serial stands for
     * those before it (a wait may name a later serial than needed, never an earlier one).
     */
    const settleSent = () => {
      if (!client?.cache || tracked.size === 0) return;
      const { track: last, serial } = client.sent.read();
      for (const [t, uses] of tracked) {
        if (t > last) break;
        tracked.delete(t);
        client.cache.sent(uses, serial);
      }
    };
    /**
     * While tracked messages wait for their serial and nothing else wakes this thread, a look now
     * and then: another display may evict what they used once they have one. With no other
     * display on the cache the next pump settles them first, and an idle screen's marker costs no
     * second wake-up.
     */
    let settleTimer: NodeJS.Timeout | null = null;
    const settleLater = () => {
      if (settleTimer || tracked.size === 0 || !client?.cache?.shared) return;
      settleTimer = setTimeout(() => {
        settleTimer = null;
        settleSent();
        settleLater();
      }, 100);
    };
    let sent = 0;
    /** Link messages those went in: the drawings ready in one turn go together. */
    let batches = 0;
    const { meter } = ctx;
    meter.counter('spice_display_drawings_sent_total', 'Drawings sent to the display channel (frames, in SPICE terms).', {}, () => sent);
    meter.counter(
      'spice_display_batches_total',
      'Messages to the display channel: the drawings ready in one turn go in one (one wake-up, one writev).',
      {},
      () => batches,
    );
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
      return (value: string, by = 1) => {
        let cell = cells.get(value);
        if (!cell) cells.set(value, (cell = meter.counter(name, help, { [label]: value })));
        cell.value += by;
      };
    };
    const countImage = labelled('spice_display_images_total', 'Images sent, by the encoding chosen (raw: uncompressed).', 'encoding');
    const countImageBytes = labelled(
      'spice_display_image_bytes_total',
      'Image data bytes sent, by encoding (raw: uncompressed).',
      'encoding',
    );
    const countMoves = labelled(
      'spice_display_host_moves_total',
      "Rows the host found moved in its writes, by how they went: copy-bits, or images (the client's picture of their source could be newer, lossy, or a stream's).",
      'sent',
    );
    const countStream = labelled('spice_display_streams_total', 'Video streams created, by codec.', 'codec');
    const countDrawn = labelled(
      'spice_display_drawn_total',
      "Drawings encoded for the client by kind: image, fill, copy-bits (fills and copy-bits include those found in hosts' damage), ...",
      'kind',
    );
    const countCache = labelled(
      'spice_display_pixmap_cache_total',
      'Images by what the pixmap cache made of them: hit (sent as FROM_CACHE), added (sent with CACHE_ME), skipped (larger than the cache).',
      'result',
    );
    const shared = { hits: 0, evicted: 0, waits: 0 };
    meter.counter(
      'spice_display_pixmap_cache_shared_hits_total',
      "FROM_CACHE hits on images another of the client's displays sent (its displays share one cache).",
      {},
      () => shared.hits,
    );
    meter.counter(
      'spice_display_pixmap_cache_evicted_total',
      'Pixmaps this display told the client to drop (INVAL_LIST).',
      {},
      () => shared.evicted,
    );
    meter.counter(
      'spice_display_pixmap_cache_waits_total',
      'WAIT_FOR_CHANNELS sent ahead of an INVAL_LIST: pixmaps another display used, dropped once the client drew that.',
      {},
      () => shared.waits,
    );
    let motionMs = 0;
    meter.counter('spice_display_motion_seconds_total', motionSecondsHelp, {}, () => motionMs / 1000);
    meter.counter('spice_display_stream_frames_total', 'Video stream frames sent.', {}, () => streams?.frames ?? 0);
    meter.counter(
      'spice_display_stream_frames_torn_total',
      'MJPEG frames read in place from the surface while it was written, dropped (the next frame is a copy).',
      {},
      () => streams?.tornFrames ?? 0,
    );
    let device: {
      consumer: QxlConsumer;
      reader: QxlReader;
      poller: Poller;
      producerFd: Fd;
      /** The live surface's create command: its memory is the surface, handed back only with it. */
      surface?: QxlCommand;
    } | null = null;

    /** While the cursor channel is behind, its ring waits in the device (the host keeps its latest cursor); taken again once there is room. */
    const toCursor = (e: CursorEvent) => {
      const sent = cursor.send(e).catch((err: unknown) => ctx.log.warn({ err }, 'cursor event not sent'));
      if (cursor.waiting > 0) void sent.then(consume);
    };

    /** Tells the device's host whether anyone is shown this display, so that it may rest while nobody is. */
    const watched = () =>
      void host.send({
        kind: 'watched',
        display: init.id,
        watched: client !== null,
        findDrags: client !== null && link?.lowBandwidth !== true,
      });

    /** The client's GLZ dictionary when its mode encodes against it. */
    const usesGlz = (c: NonNullable<typeof client>): GlzDictionary | undefined =>
      c.glz && (c.mode === 'glz' || c.mode === 'auto_glz') ? c.glz : undefined;
    /**
     * An update's pixels as drawings: a large one in bands, which the pool compresses on all its
     * threads at once. Not for a GLZ client: its images are encoded one at a time anyway, and a
     * band finds the rows it repeats in the same band of the update before, which the encoder,
     * looking at the image before (the band above), misses (the guest's text workload: 6-9x the bytes).
     */
    const images = (c: Canvas, box: Box, clip?: readonly Box[], mayBeLossy = true): Drawing[] =>
      (client && usesGlz(client) ? [box] : bands(box)).map((band) => image(c, band, clip, mayBeLossy));
    /** One image of the surface, JPEG if the client's WAN setting and its content say so, its area tracked as lossy or exact. */
    const image = (c: Canvas, box: Box, clip?: readonly Box[], mayBeLossy = true): Drawing => {
      const bitmap = snapshot(c, box);
      const decided =
        mayBeLossy && client && wanOn(init.jpegWan, link)
          ? goesLossy(bitmap, client.mode, hasCap(client.caps, DisplayCap.lz4Compression))
          : { lossy: false };
      if (decided.lossy) lossy.lossy(box, performance.now());
      else lossy.lossless(box, clip);
      return { kind: 'image', box, ...(clip && { clip }), bitmap, ...decided };
    };
    /** Lossy areas that stopped changing go again, losslessly. */
    const lossy = new LossyAreas((boxes) => {
      if (!client || !canvas) return;
      for (const box of boxes) for (const d of images(canvas, intersect(box, canvas.bounds), undefined, false)) pipe.push(d);
      void pump();
    });

    /** What a client needs to show the surface from scratch: create, monitors, all of it, mark. */
    const introduce = (c: Canvas) => {
      if (!client) return;
      lossy.clear();
      client.pictureStart = generations.current();
      pipe.push({ kind: 'surface-create', width: c.width, height: c.height });
      if (hasCap(client.caps, DisplayCap.monitorsConfig)) pipe.push({ kind: 'monitors', width: c.width, height: c.height });
      // One image, as spice-server sends it (and spicy-screenshot, which saves the first drawing it gets, expects it whole).
      pipe.push(image(c, c.bounds));
      if (!client.marked) {
        pipe.push({ kind: 'mark' });
        client.marked = true;
      }
    };

    /** Where a COPY_BITS may not read: pixels that may be lossy at the client (video streams, JPEG images). */
    const sourceLossy = (source: Box): boolean => (streams?.overlaps(source) ?? false) || lossy.overlaps(source);

    /** How a copy's box can go out as moved rows, fills and smaller images; null: as it is. */
    const detectMotion = (c: Canvas, dest: Box, src: Bitmap32, srcX: number, srcY: number): readonly MotionPart[] | null => {
      const box = intersect(dest, c.bounds);
      // A stream's area is the stream's to send (a COPY_BITS there would end it).
      if (isEmpty(box) || streams?.overlaps(box)) return null;
      // Photo-like damage is the stream detector's (a video found as soon as without motion detection's cost on each frame).
      if (streams && photoLike(c, box)) return null;
      const started = performance.now();
      const plan = planMotion(c.bitmap, box, src, srcX + box.left - dest.left, srcY + box.top - dest.top, sourceLossy);
      motionMs += performance.now() - started;
      return plan;
    };

    /** A planned copy into the pipe: the moved rows first (they read the client's picture from before), then the rest. */
    const sendMotion = (c: Canvas, plan: readonly MotionPart[]) => {
      for (const p of plan) {
        if (p.kind === 'image') for (const d of images(c, p.box)) pipe.push(d);
        else pipe.push(p);
      }
    };

    /**
     * Whether the host's moved rows can go as a COPY_BITS: the client has a picture, the rows and
     * their source are inside it, exact there, and no stream's, and no snapshot since the host
     * began that write could have shown the client its new pixels instead of the old ones.
     */
    const movableNow = (w: Extract<QxlWork, { kind: 'moved' }>): boolean => {
      if (!canvas || !client || generations.mayShow(w.generation)) return false;
      const source = { left: w.srcX, top: w.srcY, right: w.srcX + w.box.right - w.box.left, bottom: w.srcY + w.box.bottom - w.box.top };
      const inside = (b: Box) => !isEmpty(b) && sameBox(intersect(b, canvas!.bounds), b);
      return inside(w.box) && inside(source) && !sourceLossy(source) && !streams?.overlaps(w.box);
    };

    const apply = (w: QxlWork): void => {
      switch (w.kind) {
        case 'moved': {
          const movable = movableNow(w);
          countMoves(movable ? 'copy-bits' : 'images');
          // Else the moved rows go as what the host wrote: images of the surface, always right.
          if (!movable) return apply({ kind: 'written', box: w.box, generation: w.generation });
          lossy.lossless(w.box);
          pipe.push({ kind: 'copy-bits', box: w.box, srcX: w.srcX, srcY: w.srcY });
          return;
        }
        case 'surface-create':
          if (canvas && client) {
            streams?.surfaceGone();
            pipe.push({ kind: 'surface-destroy' });
          }
          // The surface in device memory, the one copy of the screen: drawn in, snapshotted from.
          canvas = new Canvas(w.width, w.height, w.pixels);
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
        case 'written':
        case 'fill':
        case 'copy-bits': {
          if (!canvas) return void ctx.log.warn({ kind: w.kind }, 'drawing before any surface: dropped');
          // 'written': the host put the pixels in the surface itself.
          // Looked for before the copy: the surface still shows what the client has.
          const motion = w.kind === 'copy' && client && !w.clip ? detectMotion(canvas, w.box, w.src, w.srcX, w.srcY) : null;
          if (w.kind !== 'written') surfaceWrites++;
          if (w.kind === 'copy') canvas.copy(w.box, w.src, w.srcX, w.srcY, w.clip);
          else if (w.kind === 'fill') canvas.fill(w.box, w.color, w.clip);
          else if (w.kind === 'copy-bits') canvas.copyBits(w.box, w.srcX, w.srcY, w.clip);
          const box = intersect(w.box, canvas.bounds);
          if (!client || isEmpty(box)) return;
          // What the host wrote before the client's whole picture was taken (damage it held while no one watched) is in that picture.
          if (w.kind === 'written' && client.pictureStart !== undefined && writtenBefore(w.generation, client.pictureStart)) return;
          const clip = w.clip ? { clip: w.clip } : {};
          // Streams see the whole damage, so a video is found as before; the plan serves only where no stream took part of it.
          const image = w.kind === 'copy' || w.kind === 'written';
          const parts = streams ? streams.damage(box, image ? 'copy' : w.kind, performance.now()) : [box];
          if (motion && parts.length === 1 && sameBox(parts[0]!, box)) return sendMotion(canvas, motion);
          if (image) for (const part of parts) for (const d of images(canvas, part, w.clip)) pipe.push(d);
          else if (w.kind === 'fill') {
            lossy.lossless(box, w.clip);
            pipe.push({ kind: 'fill', box, ...clip, color: w.color });
          } else {
            // Pixels copied from lossy ones go again losslessly, right after the copy.
            const fix = lossy.copied(w.box, w.srcX, w.srcY, w.clip);
            pipe.push({ kind: 'copy-bits', box: w.box, ...clip, srcX: w.srcX, srcY: w.srcY });
            for (const f of fix) for (const d of images(canvas, intersect(f, canvas.bounds), w.clip, false)) pipe.push(d);
          }
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

    const release = (cmd: QxlCommand) => {
      const problem = device?.consumer.release(cmd);
      if (problem) ctx.log.warn({ problem }, 'QXL command could not be released');
    };

    /** Takes every command waiting on both rings, then lets the pipe move; how many commands that was. */
    const consume = (): number => {
      if (!device) return 0;
      const { consumer, reader } = device;
      let taken = 0;
      for (const ring of [consumer.commands, consumer.cursor]) {
        for (;;) {
          if (ring === consumer.cursor && cursor.waiting > 0) break;
          const cmd = ring.pop();
          if (cmd === undefined) break;
          taken++;
          if ('error' in cmd) {
            ctx.log.error({ problem: cmd }, 'QXL ring is corrupt: the device is dropped');
            detach();
            return taken;
          }
          const work = reader.read(cmd);
          if ('error' in work) ctx.log.warn({ reason: work.error }, 'bad QXL command dropped');
          else apply(work);
          const kind = 'error' in work ? null : work.kind;
          // Nothing reads a surface's memory once the surface is gone (snapshots are copies of it).
          if (kind === 'surface-create' || kind === 'surface-destroy') {
            if (device.surface) release(device.surface);
            device.surface = undefined;
          }
          if (kind === 'surface-create') device.surface = cmd;
          else release(cmd);
        }
      }
      consumer.releases.flush();
      streams?.endTurn(performance.now());
      void pump();
      return taken;
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
      generations.attach(memory);
      deviceMemory = memory;
      poller.start();
      watched();
      consume();
    });

    display.messages$.subscribe((m) => {
      switch (m.kind) {
        case 'client': {
          if (client || waiting) leave((client ?? waiting)!.session);
          const cache = pixmapCachePixels(m.pixmapCachePixels);
          if (cache.clamped)
            ctx.log.info(
              { asked: m.pixmapCachePixels, pixels: cache.pixels },
              'pixmap cache size from DISPLAY_INIT out of bounds: clamped',
            );
          waiting = { session: m.session, caps: m.caps, mode: init.imageCompression, marked: false, sent: new SentCell(m.sent.value) };
          void ctx.parent.send({
            kind: 'client-caches',
            session: m.session,
            windowPixels: m.glzWindowPixels,
            pixmapCacheId: m.pixmapCacheId,
            pixmapCachePixels: cache.pixels,
          });
          return;
        }
        case 'client-gone':
          if (client?.session === m.session || waiting?.session === m.session) leave(m.session);
          return;
        case 'preferred-compression': {
          const mode = Object.hasOwn(compressionModes, m.compression) ? compressionModes[m.compression] : undefined;
          if (!mode) return void ctx.log.warn({ compression: m.compression }, 'PREFERRED_COMPRESSION of no known mode: refused');
          for (const c of [client, waiting]) if (c?.session === m.session) c.mode = mode;
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

    /** The client's caches came (from the root): its first picture goes. */
    const cachesCame = (session: number, glz: SharedArrayBuffer, pixmaps: SharedArrayBuffer | null) => {
      if (waiting?.session !== session) return;
      let cache: PixmapCache | undefined;
      try {
        cache = pixmaps ? new PixmapCache(pixmaps, init.id) : undefined;
      } catch (err) {
        ctx.log.warn({ err }, 'no pixmap cache for this display');
      }
      client = { ...waiting, glz: { memory: glz }, ...(cache && { cache }) };
      waiting = null;
      streams?.setClient(client.caps);
      watched();
      if (canvas) introduce(canvas);
      void pump();
    };
    /** The client leaves this display (or another takes its place): what it had goes, its caches let go. */
    const leave = (session: number) => {
      retireGlz();
      client?.cache?.leave();
      tracked.clear();
      if (settleTimer) clearTimeout(settleTimer);
      settleTimer = null;
      client = null;
      waiting = null;
      streams?.setClient(null);
      pipe.clear();
      lossy.clear();
      watched();
      void ctx.parent.send({ kind: 'caches-release', session });
    };

    /**
     * A display message; `before`: those sent just ahead of it (the WAIT_FOR_CHANNELS and
     * INVAL_LIST of the pixmaps its image evicts); `uses`: its uses of the pixmap cache.
     */
    type Wire = {
      session: number;
      type: number;
      body: Uint8Array;
      before?: readonly { type: number; body: Uint8Array }[];
      uses?: readonly CacheUse[];
    };
    /**
     * The last GLZ job submitted: with a dictionary, images are encoded one at a time in pipe
     * order, so the ids the dictionary hands out follow the order the client gets them in.
     */
    let glzTail: Promise<unknown> = Promise.resolve();
    /**
     * What goes ahead of an image whose room evicted `evicted`: the client first waits until the
     * other displays drew their messages that used them (their serials), then drops them.
     */
    const evictions = (evicted: readonly bigint[], waits: readonly ChannelWaitFor[]) => {
      if (evicted.length === 0) return [];
      shared.evicted += evicted.length;
      if (waits.length > 0) shared.waits++;
      const wait_list = waits.map((w) => ({ channel_type: ChannelType.display, channel_id: w.display, message_serial: BigInt(w.serial) }));
      const resources = evicted.map((id) => ({ type: ResourceType.pixmap, id }));
      return [
        ...(wait_list.length > 0 ? [encodeMessage(displayProtocol.server, { name: 'wait_for_channels', body: { wait_list } })] : []),
        encodeMessage(displayProtocol.server, { name: 'inval_list', body: { resources } }),
      ];
    };
    /** A drawing's display message; an image's once the pool has compressed it (or as it is, if the pool failed it). Never rejects. */
    const encode = async (
      d: Drawing,
      session: number,
      mode: ImageCompressionMode,
      lz4: boolean,
      glz: GlzDictionary | undefined,
      zlibGlz: boolean,
      cache: PixmapCache | undefined,
    ): Promise<Wire | null> => {
      let verdict: CacheVerdict = { kind: 'skip' };
      try {
        countDrawn(d.kind);
        if (d.kind === 'stream-frame') {
          // A frame whose stream ended meanwhile gives nothing.
          const frame = streams ? await streams.encode(d) : null;
          recycle(d);
          return frame && { session, ...encodeMessage(displayProtocol.server, drawingMessage(d, frame), frame.frame.length + 64) };
        }
        if (d.kind !== 'image') return { session, ...encodeMessage(displayProtocol.server, drawingMessage(d)) };
        // Decided in pipe order, before any wait, so a hit never reaches the client before its image.
        // A drawing that may go lossy may show a lossy cached copy; one that must be exact (a lossless
        // resend of a lossy area) gets its pixels again, replacing a lossy entry.
        settleSent();
        if (cache)
          verdict = cache.use(contentKey(d.bitmap), d.bitmap.width * d.bitmap.height, {
            canLossy: d.lossy === true,
            jpeg: init.jpegWan !== 'never',
          });
        countCache(verdict.kind === 'add' ? 'added' : verdict.kind === 'hit' ? 'hit' : 'skipped');
        if (verdict.kind === 'hit') {
          countImage('from_cache');
          if (verdict.shared) shared.hits++;
          const message = encodeMessage(displayProtocol.server, drawingMessage(d, { id: verdict.id, fromCache: verdict }));
          recycle(d);
          return { session, ...message, uses: [verdict.use] };
        }
        const request = {
          encoding: 'auto',
          mode,
          clientHasLz4: lz4,
          ...(glz && { glzDictionary: glz.memory, zlibGlz }),
          ...(d.lossy && { jpeg: true }),
          ...(d.graduality && { graduality: d.graduality }),
        } as const;
        // A small image costs less to encode here than its trip through the pool; any image is
        // encoded here while the pool is not up (it starts after a client's first picture).
        const run = async () => (compressesHere(d.bitmap) || !pool.up ? compressHere(d.bitmap, request) : pool.compress(d.bitmap, request));
        const compressing = glz ? glzTail.then(run) : run();
        if (glz) glzTail = compressing.catch(() => undefined);
        const result = await compressing.catch((err: unknown): Compressed => {
          ctx.log.warn({ err }, 'image not compressed: sent as it is');
          return { chosen: 'raw', encoding: 'raw' };
        });
        countImage(result.encoding);
        if (verdict.kind === 'add') cache?.setLossy(verdict.use, result.encoding === 'jpeg' || result.encoding === 'jpeg-alpha');
        const size = (result.encoding === 'raw' ? d.bitmap.pixels.byteLength : result.data.length) + 256;
        countImageBytes(result.encoding, size - 256);
        const source: ImageSource =
          verdict.kind === 'add'
            ? { id: verdict.id, result, flags: ImageFlags.cacheMe | (verdict.replace ? ImageFlags.cacheReplaceMe : 0) }
            : { id: ++imageId << 32n, result };
        const message = encodeMessage(displayProtocol.server, drawingMessage(d, source), size);
        recycle(d);
        if (verdict.kind !== 'add') return { session, ...message };
        return { session, ...message, before: evictions(verdict.evicted, verdict.waits), uses: [verdict.use] };
      } catch (err) {
        // An image the cache took that never goes out: no later hit may name it.
        if (verdict.kind === 'add') cache?.forget(verdict.use);
        else if (verdict.kind === 'hit') cache?.settle([verdict.use]);
        ctx.log.error({ err, kind: d.kind }, 'drawing not encoded: dropped');
        return null;
      }
    };

    /**
     * Images (but small ones) and stream frames are encoded in the pool, within the display's
     * share; a stream's frame waits in the pipe (where a newer one replaces it) while the one
     * before is encoding.
     */
    const canLeave = (d: Drawing) => {
      if (d.kind === 'stream-frame') return pool.free > 0 && !streams?.encoding(d.id);
      return d.kind !== 'image' || pool.free > 0 || compressesHere(d.bitmap);
    };
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
      // Messages ready together go in one link message: one credit of the display's short window.
      let batch: EncodedMessage[] = [];
      let batchBytes = 0;
      let batchDrawings = 0;
      let batchSession = 0;
      const sendBatch = async () => {
        if (batch.length === 0) return;
        const messages = batch;
        const drawings = batchDrawings;
        batch = [];
        batchBytes = 0;
        batchDrawings = 0;
        // Waits while the display channel holds its link (its client is not keeping up).
        await display.send({ kind: 'wire', session: batchSession, messages });
        if (sent === 0) void ctx.parent.send({ kind: 'first-drawing' });
        sent += drawings;
        batches++;
      };
      // The batch being made counts as sent: drawings leave the pipe no sooner than without batches.
      const credited = () => display.availableCredits > display.queued + display.waiting + (batch.length > 0 ? 1 : 0);
      const add = async (m: EncodedMessage, drawing: boolean) => {
        if (batch.length > 0 && batchBytes + m.body.value.length > maxBatchBytes) await sendBatch();
        batch.push(m);
        batchBytes += m.body.value.length;
        if (drawing) batchDrawings++;
      };
      try {
        // Before a batch that goes at once (the channel has credit for it) leaves, what the host
        // published while it was made joins it (a video's frame and the marker drawn right after
        // it): one post, one wake-up of the display channel and one write, where the ring's own
        // wake-up would have sent it alone. Without credit, what came stays in the pipe, where a
        // newer drawing may still replace it.
        // Only when commands wait: a consume of nothing would still end a turn for the stream detector.
        const commandsWait = () => (device?.consumer.commands.ring.length ?? 0) > 0;
        const joins = () => batch.length > 0 && credited() && commandsWait() && consume() > 0 && pipe.length > 0;
        let joined = false;
        while (client && (pipe.length > 0 || ahead.length > 0 || (joined = joins()))) {
          const joining = joined;
          joined = false;
          if (ahead.length === 0 && !joining) {
            await sendBatch();
            await display.credited();
            // Closed: the actor is stopping.
            if (!client || pipe.length === 0 || display.state === 'closed') break;
          }
          if (pipe.overflowing && canvas) pipe.collapse(images(canvas, canvas.bounds));
          const { session, mode, caps } = client;
          const lz4 = hasCap(caps, DisplayCap.lz4Compression);
          const glz = usesGlz(client);
          const zlibGlz = wanOn(init.zlibGlzWan, link);
          if (ahead.length === 0 || credited()) {
            while (pipe.length > 0 && ahead.length < pool.share && canLeave(pipe.peek()!))
              ahead.push(encode(pipe.shift()!, session, mode, lz4, glz, zlibGlz, client.cache));
          }
          // Nothing to wait for but room in the pool (jobs of a client that has gone still run there).
          if (ahead.length === 0) {
            await sendBatch();
            await pool.room();
            continue;
          }
          const next = ahead.shift()!;
          // What is ready this turn joins the batch; one still encoding lets the batch go first.
          let wire = batch.length > 0 ? await Promise.race([next, turnEnd()]) : await next;
          if (wire === stillEncoding) {
            await sendBatch();
            wire = await next;
          }
          if (!wire || client?.session !== wire.session) {
            if (wire?.uses) client?.cache?.settle(wire.uses);
            continue;
          }
          if (wire.session !== batchSession) await sendBatch();
          batchSession = wire.session;
          for (const b of wire.before ?? []) await add({ type: b.type, body: moved(b.body) }, false);
          const tracking = wire.uses && client.cache ? ++track : undefined;
          if (tracking !== undefined) tracked.set(tracking, wire.uses!);
          await add({ type: wire.type, body: moved(wire.body), ...(tracking !== undefined && { track: tracking }) }, true);
          if (batchBytes >= maxBatchBytes) await sendBatch();
        }
        await sendBatch();
      } catch (err) {
        ctx.log.error({ err }, 'display pipe failed');
      } finally {
        pumping = false;
      }
      if (client && pipe.length > 0 && display.state !== 'closed') void pump();
      else settleLater();
    };

    ctx.onStop(() => {
      if (settleTimer) clearTimeout(settleTimer);
      lossy.stop();
      streams?.close();
      detach();
    });
  },
  { rules: redWorkerReports },
);
