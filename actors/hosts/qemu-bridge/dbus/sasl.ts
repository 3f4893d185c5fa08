/**
 * The SASL exchange that opens every D-Bus connection (specification, "Authentication
 * Protocol"): ASCII lines ending in CRLF, after one NUL byte from the client. Only EXTERNAL,
 * with the uid in hex, the mechanism dbus-daemon and GDBus accept on unix sockets, then
 * NEGOTIATE_UNIX_FD and BEGIN. Both sides, as state machines over lines: QEMU is the server on
 * its links and we the client; the server side serves our own peer-to-peer tests and peers.
 */

/** What a step of the exchange asks for: a line to send, the end, or a failure. */
export type AuthStep =
  | { readonly kind: 'send'; readonly line: string }
  | { readonly kind: 'done'; readonly guid: string; readonly unixFds: boolean; readonly send?: string }
  | { readonly kind: 'failed'; readonly error: string };

/** Longest line either side accepts (libdbus allows 16 KiB for the whole exchange's lines). */
export const MAX_AUTH_LINE = 16 * 1024;
/** Lines either side accepts before giving up on a peer that never concludes. */
const MAX_AUTH_LINES = 32;

const hex = (s: string) => Buffer.from(s, 'ascii').toString('hex');

/** Client: `\0AUTH EXTERNAL <hex uid>`, wait OK, optionally NEGOTIATE_UNIX_FD, BEGIN. */
export class SaslClient {
  private state: 'auth' | 'negotiate' | 'over' = 'auth';
  private guid = '';
  private lines = 0;

  constructor(
    private readonly uid: number,
    private readonly wantUnixFds: boolean,
  ) {}

  /** The bytes to send first: the NUL byte and the AUTH line. */
  first(): string {
    return `\0AUTH EXTERNAL ${hex(String(this.uid))}\r\n`;
  }

  line(line: string): AuthStep {
    if (++this.lines > MAX_AUTH_LINES) return this.fail('the server never concluded');
    const [command, ...rest] = line.split(' ');
    switch (this.state) {
      case 'auth':
        if (command === 'OK' && rest.length === 1 && /^[0-9a-f]{32}$/.test(rest[0]!)) {
          this.guid = rest[0]!;
          if (!this.wantUnixFds) return this.finish(false);
          this.state = 'negotiate';
          return { kind: 'send', line: 'NEGOTIATE_UNIX_FD' };
        }
        if (command === 'REJECTED') return this.fail(`EXTERNAL rejected (server offers: ${rest.join(' ') || 'nothing'})`);
        if (command === 'DATA') return { kind: 'send', line: 'CANCEL' };
        return this.fail(`unexpected "${line}"`);
      case 'negotiate':
        if (command === 'AGREE_UNIX_FD') return this.finish(true);
        if (command === 'ERROR') return this.finish(false);
        return this.fail(`unexpected "${line}"`);
      case 'over':
        return this.fail(`unexpected "${line}"`);
    }
  }

  private finish(unixFds: boolean): AuthStep {
    this.state = 'over';
    return { kind: 'done', guid: this.guid, unixFds, send: 'BEGIN' };
  }

  private fail(error: string): AuthStep {
    this.state = 'over';
    return { kind: 'failed', error: `D-Bus auth: ${error}` };
  }
}

/**
 * Server: accepts EXTERNAL for `uid` only. The claim is the peer's word, not a kernel
 * credential: serve only sockets whose other end we handed out ourselves (a socketpair).
 */
export class SaslServer {
  private state: 'auth' | 'authenticated' | 'over' = 'auth';
  private unixFds = false;
  private lines = 0;

  constructor(
    private readonly guid: string,
    private readonly uid: number,
    private readonly canPassFds: boolean,
  ) {}

  line(line: string): AuthStep {
    if (++this.lines > MAX_AUTH_LINES) return this.fail('the client never concluded');
    const [command, ...rest] = line.split(' ');
    if (this.state === 'auth') {
      if (command === 'AUTH' && rest[0] === 'EXTERNAL' && rest.length === 2 && rest[1] === hex(String(this.uid))) {
        this.state = 'authenticated';
        return { kind: 'send', line: `OK ${this.guid}` };
      }
      if (command === 'AUTH' || command === 'CANCEL' || command === 'DATA' || command === 'ERROR')
        return { kind: 'send', line: 'REJECTED EXTERNAL' };
      if (command === 'BEGIN') return this.fail('BEGIN before authentication');
      return { kind: 'send', line: 'ERROR "unknown command"' };
    }
    if (this.state === 'authenticated') {
      if (command === 'NEGOTIATE_UNIX_FD') {
        this.unixFds = this.canPassFds;
        return { kind: 'send', line: this.canPassFds ? 'AGREE_UNIX_FD' : 'ERROR "fd passing is not available"' };
      }
      if (command === 'BEGIN' && rest.length === 0) {
        this.state = 'over';
        return { kind: 'done', guid: this.guid, unixFds: this.unixFds };
      }
      if (command === 'CANCEL' || command === 'ERROR') {
        this.state = 'auth';
        return { kind: 'send', line: 'REJECTED EXTERNAL' };
      }
      return { kind: 'send', line: 'ERROR "unexpected command"' };
    }
    return this.fail(`unexpected "${line}"`);
  }

  private fail(error: string): AuthStep {
    this.state = 'over';
    return { kind: 'failed', error: `D-Bus auth: ${error}` };
  }
}

/**
 * Cuts bytes into CRLF lines (ASCII only). What follows the last line the exchange needed is
 * the first message bytes, handed back by rest().
 */
export class LineSplitter {
  private pending = Buffer.alloc(0);

  /** Adds bytes; returns whether they were acceptable (ASCII, lines not too long). */
  add(bytes: Uint8Array): boolean {
    this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : Buffer.from(bytes);
    const cut = this.pending.indexOf('\r\n');
    return cut >= 0 ? cut <= MAX_AUTH_LINE : this.pending.length <= MAX_AUTH_LINE + 1;
  }

  /** The next complete line, without its CRLF, or undefined; fails on non-ASCII bytes. */
  next(): string | undefined | Error {
    const cut = this.pending.indexOf('\r\n');
    if (cut < 0) return undefined;
    const line = this.pending.subarray(0, cut);
    this.pending = this.pending.subarray(cut + 2);
    for (const b of line) if (b < 0x20 || b > 0x7e) return new Error('D-Bus auth: a line holds a byte that is not printable ASCII');
    return line.toString('ascii');
  }

  /** Takes the byte a client sends before its first line: true if NUL, false if not, undefined if nothing came yet. */
  skipNul(): boolean | undefined {
    if (this.pending.length === 0) return undefined;
    const ok = this.pending[0] === 0;
    this.pending = this.pending.subarray(1);
    return ok;
  }

  rest(): Uint8Array {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest;
  }
}
