import type { StreamReport } from '../codecs/protocol/channels/display.js';

/** After this many late frames in a row a report goes at once, whatever its window (spice-gtk's STREAM_REPORT_DROP_SEQ_LEN_LIMIT). */
const dropRunLimit = 3;
/** spice-gtk's audio delay when no playback channel plays: the server then ignores audio. */
const noAudio = 0xffffffff;

/** What STREAM_ACTIVATE_REPORT asked of one stream, and the frames counted since the last report. */
interface Window {
  readonly uniqueId: number;
  readonly maxFrames: number;
  readonly timeoutMs: number;
  startMs: number;
  startFrameMm: number;
  frames: number;
  drops: number;
  dropRun: number;
}

/**
 * The client's STREAM_REPORTs, as spice-gtk's display channel makes them
 * (display_update_stream_report): once a stream's reports are activated, every frame counts;
 * a frame whose multi-media time has passed on arrival counts as a drop (spice-gtk drops it);
 * a report goes when the window asked for is full, its time is up, or three frames in a row
 * were late. Its last_frame_delay is the last frame's time minus the clock's (negative: late).
 */
export class StreamReports {
  private readonly windows = new Map<number, Window>();

  activate(a: { stream_id: number; unique_id: number; max_window_size: number; timeout_ms: number }): void {
    this.windows.set(a.stream_id, {
      uniqueId: a.unique_id,
      maxFrames: a.max_window_size,
      timeoutMs: a.timeout_ms,
      startMs: 0,
      startFrameMm: 0,
      frames: 0,
      drops: 0,
      dropRun: 0,
    });
  }

  /** A stream ended (or all did, with no id): its window goes. */
  end(streamId?: number): void {
    if (streamId === undefined) this.windows.clear();
    else this.windows.delete(streamId);
  }

  /** A frame of `streamId` stamped `frameMm` arrived when the clock said `nowMm`: the report to send now, if one is due. */
  frame(streamId: number, frameMm: number, nowMm: number, nowMs: number): StreamReport | null {
    const w = this.windows.get(streamId);
    if (!w) return null;
    // u32 times: the difference as an i32 survives the clock's wrap.
    const delay = (frameMm - nowMm) | 0;
    if (w.frames === 0) {
      w.startFrameMm = frameMm;
      w.startMs = nowMs;
    }
    w.frames++;
    if (delay < 0) {
      w.drops++;
      w.dropRun++;
    } else w.dropRun = 0;
    if (w.frames < w.maxFrames && nowMs - w.startMs < w.timeoutMs && w.dropRun < dropRunLimit) return null;
    const report: StreamReport = {
      stream_id: streamId,
      unique_id: w.uniqueId,
      start_frame_mm_time: w.startFrameMm,
      end_frame_mm_time: frameMm,
      num_frames: w.frames,
      num_drops: w.drops,
      last_frame_delay: delay,
      audio_delay: noAudio,
    };
    Object.assign(w, { startMs: 0, startFrameMm: 0, frames: 0, drops: 0, dropRun: 0 });
    return report;
  }
}
