/**
 * The session's multi-media clock as spice-gtk keeps it (spice_session_get_mm_time): the
 * server's multi-media time from the main channel's INIT and MULTI_MEDIA_TIME, advanced by
 * the client's own monotonic clock since. A u32 in milliseconds.
 */
export class MmClock {
  private base: number;
  private at: number;

  constructor(
    mmTime: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.base = mmTime;
    this.at = nowMs();
  }

  set(mmTime: number): void {
    this.base = mmTime;
    this.at = this.nowMs();
  }

  now(): number {
    return (this.base + Math.floor(this.nowMs() - this.at)) >>> 0;
  }
}
