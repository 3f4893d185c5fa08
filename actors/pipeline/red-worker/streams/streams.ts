import {
  area,
  bounding,
  boxHeight,
  boxKey,
  boxWidth,
  contains,
  intersect,
  intersects,
  isEmpty,
  mergeBoxes,
  subtract,
  type Box,
} from '../../../../codecs/box.js';
import type { Bitmap32 } from '../../../../codecs/image/bitmap.js';
import { DisplayCap, hasCap } from '../../../../codecs/protocol/enums.js';
import type { VideoCodec } from '../../../../codecs/video/encoder.js';
import { mmTimeDeltaMs, mmTimeNow } from '../../../../channel/mm-time.js';
import type { Logger } from '../../../../runtime/log.js';
import type { Drawing } from '../pipe.js';
import { codecsFor } from './codec-choice.js';
import { Detector, sameFrameMs, type Detected, type StreamingMode } from './detector.js';
import {
  absurd,
  bitsPerPixelCap,
  cannotDecode,
  initialBitRate,
  linkRate,
  maxFpsOf,
  RateControl,
  type LinkEstimate,
  type Report,
} from './rate-control.js';
import type { StreamEncoders, StreamId } from './stream-encoders.js';

/**
 * A stream whose region has been still for four of its longest recent gaps between frames ends,
 * and its area goes out losslessly: soon after a video stops (the client is exact within half a
 * second), yet a stuttering source (a guest under load) is not taken for a stopped one. Never
 * sooner than `minIdleMs`, nor later than spice-server's 1 s.
 */
const idleGaps = 4;
const minIdleMs = 300;
const maxIdleMs = 1_000;
/** The longest gap fades by this much a frame, so that one old stall does not hold the end back for good. */
const gapFade = 0.9;
const tickMs = 50;
/** How often a stream's source frame rate is measured (spice-server: each second too). */
const sourceRateMs = 1_000;
/** Streams per display at once (spice-server has 50 per server); ids stay below, spice-gtk keeps them in an array. */
const maxStreams = 8;
/**
 * Once its region is still, a stream of a predicting codec sends its last picture again this
 * many times: a decoder may hold frames back (avdec_h264 with frame threads shows a frame only
 * once the next ones came), and the client would show an old picture until the stream ends.
 */
const flushFrames = 3;
/**
 * A frame is taken once its region has had no damage for this long (and at most `sameFrameMs`
 * after the first): a guest draws a frame in several updates (a video, then a subtitle or a
 * marker over it, 0.1-5 ms apart through QEMU), and a frame taken after the first showed the
 * video without what is drawn over it, every time (a 1080p MJPEG stream at 14 fps lost one
 * latency marker in four).
 */
const settleMs = 6;
/** Frames a stream's budget holds at most (see `Stream.budget`). */
const burst = 1.5;
/** A change in the playback latency the streams need smaller than this is not told to the audio. */
const latencyStepMs = 20;
/** Beyond this many visible rectangles a clipped stream ends instead (the clip travels in every STREAM_CLIP). */
const maxClipRects = 16;
/**
 * Something drawn over a video (a marker, a subtitle, a guest-drawn pointer) reaches us as an
 * update of its own right after the video's frame, at the same place frame after frame: a box
 * at most 1/`overlayShare` of the stream, drawn after a frame whose first damage covered the
 * stream, `overlayFrames` frames running. It is clipped out of the stream and goes losslessly,
 * as spice-server's drawables over a stream do (their own draw commands, the stream clipped);
 * in the frame it was smeared by the codec (MJPEG at 10 Mbit/s and 1080p lost a 16-px square's
 * colour in one frame in four). A video in tiles (no first damage covering it) is not affected.
 */
const overlayShare = 64;
const overlayFrames = 3;
/** Boxes followed per stream at most (more: forgotten, and followed afresh). */
const maxOverlayCandidates = 8;

type Frame = Extract<Drawing, { kind: 'stream-frame' }>;

/** What the streams need of their red-worker. */
export interface StreamsHost {
  readonly log: Logger;
  readonly codecs: readonly VideoCodec[];
  readonly encoders: StreamEncoders;
  /** Queues a drawing for the client. */
  push(d: Drawing): void;
  /** Queues a frame in place of the stream's unsent one, if any. */
  pushFrame(f: Frame): void;
  /** A copy of the surface's pixels in `box`. */
  snapshot(box: Box): Bitmap32;
  /**
   * The surface's pixels in `box` in place (no copy), for a frame read as it leaves, the host's
   * writes counted where the encoder checks them; null when the surface cannot be read so.
   */
  view(box: Box): Bitmap32 | null;
  /** Writes the red-worker itself made into the surface so far (drawing commands): they tear a frame read in place too. */
  writes(): number;
  /** The surface's pixels in `box` look like a photo (spice-server's graduality). */
  photoLike(box: Box): boolean;
  bounds(): Box | null;
  /** A stream was created with `codec` (for metrics). */
  created(codec: VideoCodec): void;
  /** While audio plays: the playback latency the streams need of the client's audio (ms), when it changes. */
  playbackLatency(ms: number): void;
}

interface Stream {
  readonly id: StreamId;
  readonly uniqueId: number;
  readonly codec: VideoCodec;
  box: Box;
  /** The parts of `box` the stream shows; null: all of it. */
  clip: Box[] | null;
  /** Frames since a resize carry their size (STREAM_DATA_SIZED). */
  sized: boolean;
  readonly rate: RateControl;
  lastDamageMs: number;
  /** The longest gap between its frames lately (fading). */
  gapMs: number;
  /** The source's frames since `sourceSinceMs`, for its frame rate. */
  sourceFrames: number;
  sourceSinceMs: number;
  /**
   * Frames it may take now: refilled at its frame rate, at most `burst`, one spent per frame. A
   * source on time loses no frame to jitter; one faster than the rate loses what is over it.
   */
  budget: number;
  budgetAtMs: number;
  dirty: boolean;
  /** The first damage of the source's latest frame (damage closer than `sameFrameMs` is one frame). */
  frameStartMs: number;
  /** Frames sent again since the region last changed. */
  flushed: number;
  trailing: ReturnType<typeof setTimeout> | null;
  /** The size the encoder was opened at; another size reopens it, with a key frame. */
  encoded: { width: number; height: number } | null;
  /** A frame is being encoded. */
  encoding: boolean;
  /** The frame rate the encoder says it can hold, when below the stream's. */
  encoderFps: number | null;
  /** Its last frame read in place was torn: the next one is a snapshot. */
  torn: boolean;
  /** The current frame's first damage covered the stream (what comes after it may be drawn over it). */
  covered: boolean;
  /** Small boxes damaged after covering frames: the last frame each was seen in, and in how many frames running. */
  readonly overTop: Map<string, { frame: number; run: number }>;
  /** Damage where the stream does not show (clipped out), sent as images once the frame's damage settles. */
  hidden: Box[];
  hiddenTimer: ReturnType<typeof setTimeout> | null;
}

interface Client {
  readonly caps: readonly number[];
  preferred: readonly number[];
  /** Codecs that failed for this client (encoder error, or it said it cannot decode them): not tried again; none left, images only. */
  readonly failed: Set<VideoCodec>;
}

/**
 * The video streams of one display's client: detection on the damage, a stream's frames in
 * place of images, its clip, its end, and its rates from the client's reports. The red-worker
 * hands it each drawing's box (`damage`) and the end of each turn (`endTurn`); what it does not
 * take stays the red-worker's to send as images.
 */
export class Streams {
  private readonly detector: Detector;
  private readonly streams = new Map<StreamId, Stream>();
  private client: Client | null = null;
  private link: LinkEstimate | null = null;
  /** Audio plays: the client's media clock follows its packets (see `encode`). */
  private audio = false;
  /** The playback latency last asked for while audio plays. */
  private askedLatencyMs: number | null = null;
  private turn: Box[] = [];
  private ticker: ReturnType<typeof setInterval> | null = null;
  private nextUnique = 1;
  private lastBadReportMs = Number.NEGATIVE_INFINITY;
  /** Frames sent, for metrics and tests. */
  frames = 0;
  /** Frames read in place that a write overlapped, dropped. */
  tornFrames = 0;

  constructor(
    mode: Exclude<StreamingMode, 'off'>,
    private readonly host: StreamsHost,
  ) {
    this.detector = new Detector(mode, (box) => host.photoLike(box));
  }

  /** A new client (null: none): what the last one had is forgotten, without messages. */
  setClient(caps: readonly number[] | null): void {
    for (const s of this.streams.values()) this.drop(s);
    this.detector.forget();
    this.turn = [];
    this.client = caps ? { caps, preferred: [], failed: new Set() } : null;
  }

  /** PREFERRED_VIDEO_CODEC_TYPE: a stream whose codec is no longer the client's first choice ends, and comes back with that codec. */
  setPreferred(codecs: readonly number[]): void {
    const client = this.client;
    if (!client) return;
    client.preferred = codecs;
    const best = codecsFor(this.host.codecs, client.caps, codecs).find((c) => !client.failed.has(c));
    for (const s of [...this.streams.values()]) if (best && s.codec !== best) this.end(s, `the client prefers ${best}`);
  }

  setLink(link: LinkEstimate): void {
    this.link = link;
  }

  setAudio(playing: boolean): void {
    this.audio = playing;
    this.askedLatencyMs = null;
  }

  /** The surface goes (destroyed, reset): its streams with it, the client told once. */
  surfaceGone(): void {
    if (this.streams.size > 0) this.host.push({ kind: 'stream-destroy-all' });
    for (const s of this.streams.values()) this.drop(s);
    this.detector.forget();
    this.turn = [];
  }

  /**
   * A drawing over `box`; returns the parts to send as drawings of their own. A copy inside a
   * stream is its next frame; one reaching past a stream either grows it (up to twice its size)
   * or is drawn over it (clipped out of the stream, sent losslessly). A fill or COPY_BITS over a
   * stream ends it first: the client would draw or copy over pixels it is about to replace.
   */
  damage(box: Box, kind: 'copy' | 'fill' | 'copy-bits', nowMs: number): Box[] {
    if (!this.client) return [box];
    let rest = [box];
    for (const s of [...this.streams.values()]) {
      if (!rest.some((r) => intersects(r, s.box))) continue;
      if (kind !== 'copy') {
        this.end(s, `${kind} over it`);
        continue;
      }
      const next: Box[] = [];
      for (const r of rest) {
        if (!intersects(r, s.box)) {
          next.push(r);
          continue;
        }
        if (!contains(s.box, r)) {
          const grown = bounding(s.box, r);
          const resized = area(grown) <= 2 * area(s.box) ? this.resize(s, grown) : 'no';
          // Replaced by a stream over the larger area, which took a frame of it already.
          if (resized === 'replaced') continue;
          if (resized === 'no') this.clipOut(s, intersect(s.box, r));
          if (resized !== 'grown') {
            next.push(r);
            continue;
          }
        }
        // Drawn over the video (not part of it) and still shown by the stream: clipped out, it goes as a drawing below.
        if (this.drawnOver(s, r, nowMs) && (s.clip ?? [s.box]).some((v) => intersects(v, r))) {
          this.clipOut(s, r);
          if (this.streams.get(s.id) !== s) {
            next.push(r);
            continue;
          }
        }
        const inside = intersect(s.box, r);
        s.dirty = true;
        s.flushed = 0;
        if (nowMs - s.lastDamageMs > sameFrameMs) {
          s.gapMs = Math.max(nowMs - s.lastDamageMs, s.gapMs * gapFade);
          s.sourceFrames++;
          s.frameStartMs = nowMs;
        }
        s.lastDamageMs = nowMs;
        // What lands where the stream does not show goes as a drawing.
        if (s.clip)
          this.hide(
            s,
            s.clip.reduce((parts, v) => parts.flatMap((p) => subtract(p, v)), [inside]),
          );
        next.push(...subtract(r, s.box));
      }
      rest = next;
    }
    if (kind === 'copy') this.turn.push(...rest);
    return rest;
  }

  /** Whether a stream shows over part of `box` (lossy pixels at the client, replaced frame by frame). */
  overlaps(box: Box): boolean {
    for (const s of this.streams.values()) if (intersects(s.box, box)) return true;
    return false;
  }

  /** The end of a red-worker turn: frames of the streams drawn on, and detection on the rest. */
  endTurn(nowMs: number): void {
    if (!this.client) return;
    for (const s of this.streams.values()) if (s.dirty) this.capture(s, nowMs);
    const found = this.detector.frames(this.turn, nowMs);
    this.turn = [];
    for (const d of found) this.create(d, nowMs);
    if (this.streams.size > 0 || this.detector.watching > 0) this.startTicking();
  }

  /** True while a frame of stream `id` is being encoded: its next one waits (and may be replaced) meanwhile. */
  encoding(id: StreamId): boolean {
    return this.streams.get(id)?.encoding === true;
  }

  /** The bytes and multi-media time of a frame leaving the pipe; null when its stream ended or its encoder failed. */
  async encode(f: Frame): Promise<{ frame: Uint8Array; mmTime: number } | null> {
    const s = this.streams.get(f.id);
    if (!s || !this.client) return null;
    const { width, height } = f.bitmap;
    s.encoding = true;
    try {
      let keyFrame = false;
      if (!s.encoded || s.encoded.width !== width || s.encoded.height !== height) {
        this.host.encoders.open(s.id, s.codec, { width, height, bitRate: s.rate.bitRate, frameRate: s.rate.fps });
        s.encoded = { width, height };
        keyFrame = true;
      }
      const drawn = this.host.writes();
      const encoded = await this.host.encoders.encode(s.id, f.bitmap, keyFrame, f.inPlace);
      if (this.streams.get(f.id) !== s) return null;
      s.torn = encoded.torn === true || (f.inPlace && this.host.writes() !== drawn);
      if (s.torn) {
        // The write that tore it is damage too: the next frame comes with it, as a snapshot, in
        // this one's place (its budget given back).
        this.tornFrames++;
        s.budget += 1;
        s.dirty = true;
        this.capture(s, performance.now());
        return null;
      }
      // MJPEG at its lowest quality over the budget: frames come no faster than it can hold.
      s.encoderFps = encoded.frameRate ?? null;
      this.frames++;
      // Stamped as it leaves, so that encoding time does not eat into the client's playback delay.
      const delay = s.rate.playbackDelayMs(this.link?.latencyMs ?? 0, mmTimeDeltaMs);
      // While audio plays the client's clock is its audio's (packet time less its playback
      // delay), and audio packets carry the time they left the host: a frame stamped on that
      // clock shows with the sound of its moment. The delay the frame needs becomes the audio's
      // latency (LATENCY), as spice-server's streams ask it (update_client_playback_delay).
      if (this.audio) this.askPlaybackLatency();
      const mmTime = this.audio ? mmTimeNow() : mmTimeNow() - mmTimeDeltaMs + delay;
      s.rate.stamped(mmTime);
      return { frame: encoded.data, mmTime };
    } catch (err) {
      this.host.log.warn(
        { stream: s.id, codec: s.codec, err: String(err) },
        'video encoder failed: the stream ends, its area goes as images',
      );
      this.client.failed.add(s.codec);
      if (this.streams.get(f.id) === s) this.end(s, 'encoder error');
      return null;
    } finally {
      s.encoding = false;
    }
  }

  /** A client's STREAM_REPORT: rates adjusted; one log line for a report that makes no sense. */
  report(r: Report & { readonly stream_id: number; readonly unique_id: number }, nowMs: number): void {
    const s = this.streams.get(r.stream_id as StreamId);
    // spice-gtk says it cannot decode a stream (its decoder failed) without the stream's unique id.
    if (s && cannotDecode(r)) {
      this.host.log.warn({ stream: s.id, codec: s.codec }, 'the client cannot decode this video stream: it gets images');
      this.client?.failed.add(s.codec);
      this.end(s, 'client cannot decode');
      return;
    }
    if (!s || s.uniqueId !== r.unique_id) {
      // Reports of a stream that just ended are normal; a few are logged, never a flood.
      if (nowMs - this.lastBadReportMs > 1000) {
        this.lastBadReportMs = nowMs;
        this.host.log.info({ stream: r.stream_id, unique: r.unique_id }, 'stream report for no current stream: ignored');
      }
      return;
    }
    const why = absurd(r);
    if (why) {
      if (nowMs - this.lastBadReportMs > 1000) {
        this.lastBadReportMs = nowMs;
        this.host.log.warn({ stream: s.id, why }, 'stream report with absurd values: ignored');
      }
      return;
    }
    if (s.rate.report(r, nowMs, linkRate(this.link))) this.rateChanged(s);
  }

  private rateChanged(s: Stream): void {
    this.host.encoders.setRate(s.id, s.rate.bitRate, s.rate.fps);
    this.host.log.debug({ stream: s.id, bitRate: s.rate.bitRate, fps: s.rate.fps }, 'stream rate');
  }

  close(): void {
    for (const s of this.streams.values()) this.drop(s);
    this.stopTicking();
  }

  get active(): number {
    return this.streams.size;
  }

  /** A stream over the detected region, if the client can take one. */
  private create(d: Detected, nowMs: number): boolean {
    const client = this.client!;
    if (this.streams.size >= maxStreams) return false;
    const box = evenBox(d.box, this.host.bounds());
    if (!box || [...this.streams.values()].some((s) => intersects(s.box, box))) return false;
    const codecs = codecsFor(this.host.codecs, client.caps, client.preferred).filter((c) => !client.failed.has(c));
    if (codecs.length === 0) {
      this.detector.forget(box);
      return false;
    }
    let id = 0;
    while (this.streams.has(id as StreamId)) id++;
    const total = [...this.streams.values()].reduce((n, s) => n + area(s.box), area(box));
    const codec = codecs[0]!;
    const rate = new RateControl(
      initialBitRate(this.link, area(box) / total),
      d.fps,
      nowMs,
      bitsPerPixelCap[codec] * area(box),
      maxFpsOf[codec],
    );
    const s: Stream = {
      id: id as StreamId,
      uniqueId: this.nextUnique++ >>> 0,
      codec,
      box,
      clip: null,
      sized: false,
      rate,
      lastDamageMs: nowMs,
      gapMs: 1000 / d.fps,
      sourceFrames: 0,
      sourceSinceMs: nowMs,
      budget: 1,
      budgetAtMs: nowMs,
      dirty: true,
      frameStartMs: nowMs,
      flushed: 0,
      trailing: null,
      encoded: null,
      encoding: false,
      encoderFps: null,
      torn: false,
      covered: false,
      overTop: new Map(),
      hidden: [],
      hiddenTimer: null,
    };
    this.streams.set(s.id, s);
    this.host.created(s.codec);
    this.detector.forget(box);
    this.host.log.info(
      { stream: s.id, codec: s.codec, box, fps: rate.fps, bitRate: rate.bitRate, offered: codecs },
      `video stream created (${s.codec} ${boxWidth(box)}x${boxHeight(box)})`,
    );
    this.host.push({ kind: 'stream-create', id: s.id, codec: s.codec, dest: box, clip: null });
    if (hasCap(client.caps, DisplayCap.streamReport)) this.host.push({ kind: 'stream-activate-report', id: s.id, uniqueId: s.uniqueId });
    this.capture(s, nowMs);
    return true;
  }

  /** The largest delay a stream needs, asked of the audio when it moved by a frame's time or more. */
  private askPlaybackLatency(): void {
    let ms = 0;
    for (const t of this.streams.values()) ms = Math.max(ms, t.rate.playbackDelayMs(this.link?.latencyMs ?? 0, mmTimeDeltaMs));
    if (this.askedLatencyMs !== null && Math.abs(ms - this.askedLatencyMs) < latencyStepMs) return;
    this.askedLatencyMs = ms;
    this.host.playbackLatency(ms);
  }

  /** Grows a stream to `box`, or replaces it with one there; 'no' when it cannot (the damage is then drawn over it). */
  private resize(s: Stream, box: Box): 'grown' | 'replaced' | 'ended' | 'no' {
    const even = evenBox(box, this.host.bounds());
    if (!even || s.clip || [...this.streams.values()].some((t) => t !== s && intersects(t.box, even))) return 'no';
    if (hasCap(this.client!.caps, DisplayCap.sizedStream)) {
      s.box = even;
      s.sized = true;
      return 'grown';
    }
    // Without SIZED_STREAM a stream keeps its size: a new one takes the larger area.
    this.host.push({ kind: 'stream-destroy', id: s.id });
    this.drop(s);
    if (this.create({ box: even, fps: s.rate.fps }, s.lastDamageMs)) return 'replaced';
    this.host.push({ kind: 'image', box: s.box, bitmap: this.host.snapshot(s.box) });
    return 'ended';
  }

  /**
   * Damage where stream `s` does not show goes as images, once the frame's damage has settled: a
   * frame's part under what is drawn over it and that drawing, 0.1-5 ms apart, are one image.
   */
  private hide(s: Stream, parts: readonly Box[]): void {
    if (parts.length === 0) return;
    s.hidden.push(...parts);
    s.hiddenTimer ??= setTimeout(() => {
      s.hiddenTimer = null;
      const bounds = this.host.bounds();
      if (this.streams.get(s.id) !== s || !bounds) return;
      for (const box of mergeBoxes(s.hidden, bounds)) this.host.push({ kind: 'image', box, bitmap: this.host.snapshot(box) });
      s.hidden = [];
    }, settleMs);
  }

  /** Whether damage `r` inside stream `s` is something drawn over its video, frame after frame (see `overlayShare`). */
  private drawnOver(s: Stream, r: Box, nowMs: number): boolean {
    if (nowMs - s.lastDamageMs > sameFrameMs) {
      s.covered = area(intersect(r, s.box)) * 10 >= area(s.box) * 9;
      return false;
    }
    if (!s.covered || !contains(s.box, r) || area(r) * overlayShare > area(s.box)) return false;
    const key = boxKey(r);
    const seen = s.overTop.get(key);
    // The frame in progress is `sourceFrames` (counted at its first damage).
    const run = seen?.frame === s.sourceFrames ? seen.run : seen?.frame === s.sourceFrames - 1 ? seen.run + 1 : 1;
    if (!seen && s.overTop.size >= maxOverlayCandidates) s.overTop.clear();
    s.overTop.set(key, { frame: s.sourceFrames, run });
    return run >= overlayFrames;
  }

  /** Something drawn over part of a stream: that part stops showing the stream. */
  private clipOut(s: Stream, over: Box): void {
    const visible = (s.clip ?? [s.box]).flatMap((v) => subtract(v, over));
    if (visible.length === 0 || visible.length > maxClipRects) return this.end(s, 'covered');
    s.clip = visible;
    this.host.push({ kind: 'stream-clip', id: s.id, clip: visible });
  }

  private capture(s: Stream, nowMs: number): void {
    const interval = 1000 / Math.min(s.rate.fps, s.encoderFps ?? Number.POSITIVE_INFINITY);
    // A frame waits for the budget's next whole frame (its slot) and for the rest of its damage; a
    // newer one replaces a waiting one. The budget counts from when the source drew the frame, so
    // that the wait for the rest of its damage is not charged to the next one.
    const from = Math.max(s.frameStartMs, s.budgetAtMs);
    const budget = Math.min(burst, s.budget + (from - s.budgetAtMs) / interval);
    const slot = from + Math.max(0, 1 - budget) * interval;
    const at = Math.max(slot, Math.min(s.lastDamageMs + settleMs, s.frameStartMs + sameFrameMs));
    if (at > nowMs) {
      s.trailing ??= setTimeout(
        () => {
          s.trailing = null;
          if (this.streams.get(s.id) === s && s.dirty) this.capture(s, performance.now());
        },
        Math.max(1, Math.ceil(at - nowMs)),
      );
      return;
    }
    s.dirty = false;
    s.budget = Math.max(budget, 1) - 1;
    s.budgetAtMs = slot;
    // MJPEG frames stand alone: one read in place, saving a copy of the area per frame, can be
    // dropped if a write overlaps the read; a predicting codec's encoder would keep the torn picture.
    const view = s.codec === 'mjpeg' && !s.torn ? this.host.view(s.box) : null;
    const bitmap = view ?? this.host.snapshot(s.box);
    this.host.pushFrame({ kind: 'stream-frame', id: s.id, box: s.box, bitmap, inPlace: view !== null, sized: s.sized });
  }

  /** Ends a stream: the client destroys it and gets its area losslessly, so that it ends pixel-exact. */
  private end(s: Stream, why: string): void {
    this.host.log.info({ stream: s.id, codec: s.codec, why, bitRate: s.rate.bitRate }, 'video stream ended');
    this.host.push({ kind: 'stream-destroy', id: s.id });
    this.drop(s);
    const bounds = this.host.bounds();
    const box = bounds ? intersect(s.box, bounds) : null;
    if (box && !isEmpty(box)) this.host.push({ kind: 'image', box, bitmap: this.host.snapshot(box) });
  }

  private drop(s: Stream): void {
    if (s.trailing) clearTimeout(s.trailing);
    if (s.hiddenTimer) clearTimeout(s.hiddenTimer);
    this.host.encoders.close(s.id);
    this.streams.delete(s.id);
  }

  private startTicking(): void {
    this.ticker ??= setInterval(() => this.tick(performance.now()), tickMs);
  }

  private stopTicking(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  private tick(nowMs: number): void {
    for (const s of [...this.streams.values()]) {
      const still = nowMs - s.lastDamageMs;
      // A frame still waiting to be taken (its timer late behind a stalled thread) is not idle.
      if (!s.trailing && still > Math.min(maxIdleMs, Math.max(minIdleMs, idleGaps * s.gapMs))) {
        this.end(s, 'idle');
        continue;
      }
      if (nowMs - s.sourceSinceMs >= sourceRateMs) {
        const fps = (s.sourceFrames * 1000) / (nowMs - s.sourceSinceMs);
        [s.sourceFrames, s.sourceSinceMs] = [0, nowMs];
        if (s.rate.sourceFps(fps)) this.rateChanged(s);
      }
      if (s.codec !== 'mjpeg' && !s.dirty && s.flushed < flushFrames && still > 2 * (1000 / s.rate.fps)) {
        s.flushed++;
        s.dirty = true;
        this.capture(s, nowMs);
      }
    }
    this.detector.expire(nowMs);
    if (this.streams.size === 0 && this.detector.watching === 0) this.stopTicking();
  }
}

/** The box grown to even sizes where the surface allows, else shrunk (video codecs take even sizes); null without a surface. */
function evenBox(b: Box, bounds: Box | null): Box | null {
  if (!bounds) return null;
  const c = intersect(b, bounds);
  if (isEmpty(c)) return null;
  const fix = (lo: number, hi: number, max: number): [number, number] =>
    (hi - lo) % 2 === 0 ? [lo, hi] : hi < max ? [lo, hi + 1] : lo > 0 ? [lo - 1, hi] : [lo, hi - 1];
  const [left, right] = fix(c.left, c.right, bounds.right);
  const [top, bottom] = fix(c.top, c.bottom, bounds.bottom);
  return { left, top, right, bottom };
}
