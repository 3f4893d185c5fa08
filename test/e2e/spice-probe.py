#!/usr/bin/python3
"""Headless spice-gtk client for end-to-end tests.

Connects with libspice-client-glib (through GObject introspection) the way remote-viewer does:
every channel the server lists is connected. It prints one JSON object per line on stdout for
what the client sees, and reads one JSON command per line on stdin. Needs no X display.

Exit codes: 0 after quit/disconnect or stdin EOF, 2 bad arguments, 3..7 the main channel failed
(connect, TLS, link, auth, I/O; see EXIT_FOR_ERROR), 8 the server ended the session.
"""
import argparse
import array
import ctypes
import math
import hashlib
import json
import os
import sys
import time

import gi

gi.require_version('SpiceClientGLib', '2.0')
from gi.repository import Gio, GLib, GObject, SpiceClientGLib as Spice  # noqa: E402

EXIT_FOR_ERROR = {
    'SPICE_CHANNEL_ERROR_CONNECT': 3,
    'SPICE_CHANNEL_ERROR_TLS': 4,
    'SPICE_CHANNEL_ERROR_LINK': 5,
    'SPICE_CHANNEL_ERROR_AUTH': 6,
    'SPICE_CHANNEL_ERROR_IO': 7,
}
EXIT_SERVER_CLOSED = 8
# SpiceSurfaceFmt values (spice-protocol enums.h) of the 32-bit formats a primary can have.
FORMAT_NAMES = {32: '32_xRGB', 96: '32_ARGB', 16: '16_555', 80: '16_565', 8: '8_A', 1: '1_A'}
MOUSE_MODES = {1: 'server', 2: 'client'}
# Playback PCM kept for playback-dump: 4 s of 48 kHz stereo S16.
MAX_PLAYBACK_KEPT = 4 * 48000 * 4

started = time.monotonic()
loop = GLib.MainLoop()
exit_code = 0
quitting = False


def emit(event, **fields):
    line = json.dumps({'event': event, 't': round((time.monotonic() - started) * 1000, 1), **fields})
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def finish(code, why=None):
    global exit_code, quitting
    if why:
        sys.stderr.write(f'spice-probe: {why}\n')
    exit_code = code
    quitting = True
    loop.quit()


def on(obj, signal, handler):
    # Session.connect and Channel.connect are SPICE methods that hide GObject's connect.
    GObject.Object.connect(obj, signal, handler)


LIBSPICE = ctypes.CDLL('libspice-client-glib-2.0.so.8')
LIBSPICE.spice_port_channel_write_async.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p
ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def gobject_pointer(obj):
    return ctypes.pythonapi.PyCapsule_GetPointer(obj.__gpointer__, None)


def ident(channel):
    return {'channel': Spice.Channel.type_to_string(channel.props.channel_type), 'id': channel.props.channel_id}


class Probe:
    def __init__(self, session):
        self.session = session
        self.primaries = {}  # display id -> the primary-create arguments, while it exists
        self.inputs = None
        self.main = None
        self.invalidates = {}  # display id -> count
        self.clipboard = {}  # selection -> the bytes this client grabbed it with
        self.displays = {}  # display id -> its channel
        self.ports = {}  # port name -> its channel (port and webdav channels)
        self.port_in = {}  # port name -> {'bytes': n, 'sha': running sha256 of what came}
        self.kept = []  # buffers handed to spice-gtk by reference
        on(session, 'channel-new', self.channel_new)
        on(session, 'channel-destroy', self.channel_destroy)
        on(session, 'disconnected', self.disconnected)
        # The VM's name (a client's window title) and UUID, from the main channel's NAME and UUID.
        on(session, 'notify::name', lambda s, _p: emit('session-name', name=s.props.name))
        on(session, 'notify::uuid', lambda s, _p: emit('session-uuid', uuid=ctypes.string_at(s.props.uuid, 16).hex()))

    def channel_new(self, _session, ch):
        emit('channel-new', **ident(ch))
        on(ch, 'channel-event', self.channel_event)
        if isinstance(ch, Spice.MainChannel):
            on(ch, 'main-mouse-update', lambda c: emit('mouse-mode', mode=MOUSE_MODES.get(c.props.mouse_mode, 'unknown'), value=c.props.mouse_mode))
            on(ch, 'notify::agent-connected', lambda c, _p: emit('agent', connected=c.props.agent_connected))
            on(ch, 'main-agent-update', lambda c: emit('agent-update', connected=c.props.agent_connected, caps0=c.props.agent_caps_0))
            self.watch_clipboard(ch)
            self.main = ch
            return  # the session connects the main channel itself
        if isinstance(ch, Spice.DisplayChannel):
            self.watch_display(ch)
        elif isinstance(ch, Spice.CursorChannel):
            self.watch_cursor(ch)
        elif isinstance(ch, Spice.InputsChannel):
            self.inputs = ch
            on(ch, 'inputs-modifiers', lambda c: emit('inputs-modifiers', modifiers=c.props.key_modifiers))
        elif isinstance(ch, Spice.PlaybackChannel):
            self.watch_playback(ch)
        elif isinstance(ch, Spice.RecordChannel):
            self.watch_record(ch)
        elif isinstance(ch, Spice.PortChannel):
            self.watch_port(ch)
        Spice.Channel.connect(ch)

    def channel_destroy(self, _session, ch):
        emit('channel-destroy', **ident(ch))
        if ch == self.inputs:
            self.inputs = None  # a channel still referenced is never finalized: no "disconnected"

    def channel_event(self, ch, event):
        name = event.value_name
        err = ch.get_error()
        emit('channel-event', **ident(ch), name=name, error=err.message if err else None)
        if isinstance(ch, Spice.MainChannel) and name in EXIT_FOR_ERROR and not quitting:
            finish(EXIT_FOR_ERROR[name], f'main channel: {name}' + (f': {err.message}' if err else ''))
        elif name in EXIT_FOR_ERROR:
            sys.stderr.write(f'spice-probe: {ident(ch)["channel"]} channel {ch.props.channel_id}: {name}\n')

    def disconnected(self, _session):
        emit('disconnected')
        if not quitting:
            finish(EXIT_SERVER_CLOSED, 'the server ended the session')

    def watch_display(self, ch):
        did = ch.props.channel_id
        self.invalidates[did] = 0
        self.displays[did] = ch

        # The surface pointer comes from the signal, as in spicy-screenshot: introspection
        # misreads the fields of SpiceDisplayPrimary from spice_display_channel_get_primary.
        def create(_c, fmt, width, height, stride, _shmid, data):
            self.primaries[did] = (fmt, width, height, stride, data)
            emit('primary-create', id=did, format=fmt, formatName=FORMAT_NAMES.get(fmt, str(fmt)), width=width, height=height, stride=stride)

        def invalidate(_c, x, y, w, h):
            self.invalidates[did] += 1
            emit('invalidate', id=did, x=x, y=y, w=w, h=h, count=self.invalidates[did])

        on(ch, 'display-primary-create', create)
        def destroy(_c):
            self.primaries.pop(did, None)
            emit('primary-destroy', id=did)

        on(ch, 'display-primary-destroy', destroy)
        on(ch, 'display-invalidate', invalidate)
        on(ch, 'display-mark', lambda _c, mark: emit('mark', id=did, mark=mark))

    def watch_clipboard(self, ch):
        # The guest's clipboard: its grab is answered with a request for UTF-8 text (type 1), as a
        # client's clipboard manager would when pasted into; what comes is reported (long data by its sha256).
        def grab(c, selection, _types, ntypes):
            emit('clipboard-grab', selection=selection, ntypes=ntypes)
            c.clipboard_selection_request(selection, 1)
            return True

        def data(_c, selection, type_, ptr, size):
            raw = ctypes.string_at(ptr, size) if size else b''
            emit('clipboard', selection=selection, type=type_, size=size, sha256=hashlib.sha256(raw).hexdigest(),
                 text=raw.decode('utf-8', 'replace') if size <= 200 else None)

        def request(c, selection, type_):
            data = self.clipboard.get(selection)
            emit('clipboard-request', selection=selection, type=type_, have=data is not None)
            if data is None:
                return False
            c.clipboard_selection_notify(selection, type_, list(data))
            return True

        on(ch, 'main-clipboard-selection-grab', grab)
        on(ch, 'main-clipboard-selection', data)
        on(ch, 'main-clipboard-selection-request', request)
        on(ch, 'main-clipboard-selection-release', lambda _c, selection: emit('clipboard-release', selection=selection))

    def clipboard_grab(self, cmd):
        # 'text', or 'repeat' bytes of a pattern (for large clipboards), as UTF-8 text.
        if self.main is None:
            raise RuntimeError('no main channel')
        data = cmd['text'].encode() if 'text' in cmd else bytes((97 + (i * 7 + i // 26) % 26) for i in range(cmd['size']))
        selection = cmd.get('selection', 0)
        self.clipboard[selection] = data
        self.main.clipboard_selection_grab(selection, [1])
        return {'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()}

    def file_copy(self, path):
        if self.main is None:
            raise RuntimeError('no main channel')

        def done(c, result, _data):
            try:
                ok = c.file_copy_finish(result)
                emit('file-copy', path=path, ok=ok, error=None)
            except GLib.Error as e:
                emit('file-copy', path=path, ok=False, error=e.message)

        self.main.file_copy_async([Gio.File.new_for_path(path)], Gio.FileCopyFlags.NONE, None, None, None, done, None)
        return {}

    def watch_cursor(self, ch):
        cid = ch.props.channel_id
        on(ch, 'cursor-set', lambda _c, w, h, hx, hy, _rgba: emit('cursor-set', id=cid, width=w, height=h, hotX=hx, hotY=hy))
        on(ch, 'cursor-move', lambda _c, x, y: emit('cursor-move', id=cid, x=x, y=y))
        on(ch, 'cursor-hide', lambda _c: emit('cursor-hide', id=cid))
        on(ch, 'cursor-reset', lambda _c: emit('cursor-reset', id=cid))

    def watch_playback(self, ch):
        # The PCM the channel hands its audio backend (decoded from Opus when the server sent
        # Opus), kept for the test; no backend plays it.
        self.playback = {'pcm': bytearray(), 'format': None, 'bytes': 0, 'packets': 0}
        pb = self.playback

        def start(_c, fmt, channels, rate):
            pb['format'] = {'format': fmt, 'channels': channels, 'rate': rate}
            pb['pcm'] = bytearray()
            emit('playback-start', format=fmt, channels=channels, rate=rate)

        def data(_c, ptr, size):
            pb['pcm'] += ctypes.string_at(ptr, size)
            del pb['pcm'][:-MAX_PLAYBACK_KEPT]
            pb['bytes'] += size
            pb['packets'] += 1
            if pb['packets'] == 1:
                emit('playback-data', bytes=size)

        def volume(c):
            n = c.props.nchannels
            ptr = c.props.volume
            levels = list((ctypes.c_uint16 * n).from_address(ptr)) if ptr and n else []
            emit('playback-volume', volume=levels)

        on(ch, 'playback-start', start)
        on(ch, 'playback-data', data)
        on(ch, 'playback-stop', lambda _c: emit('playback-stop', bytes=pb['bytes']))
        on(ch, 'notify::volume', lambda c, _p: volume(c))
        on(ch, 'notify::mute', lambda c, _p: emit('playback-mute', mute=c.props.mute))

    def watch_port(self, ch):
        # A port's name and opening come with PORT_INIT and PORT_EVENT; what the guest writes is
        # counted and hashed (an echo test compares both), reported every 64 KiB.
        def opened(c, _p):
            name = c.props.port_name
            if name:
                self.ports[name] = c
                self.port_in.setdefault(name, {'bytes': 0, 'sha': hashlib.sha256()})
            emit('port-opened', **ident(c), name=name, opened=c.props.port_opened)

        def data(c, ptr, size):
            name = c.props.port_name
            got = self.port_in.setdefault(name, {'bytes': 0, 'sha': hashlib.sha256()})
            before = got['bytes']
            got['sha'].update(ctypes.string_at(ptr, size))
            got['bytes'] += size
            if got['bytes'] // 65536 != before // 65536 or before == 0:
                emit('port-data', name=name, bytes=got['bytes'])

        on(ch, 'notify::port-opened', opened)
        on(ch, 'port-data', data)
        on(ch, 'port-event', lambda c, event: emit('port-event', name=c.props.port_name, event=event))

    def port_write(self, cmd):
        # 'text', or 'size' bytes of a pattern; the reply says what was written once spice-gtk took it.
        ch = self.ports.get(cmd['name'])
        if ch is None:
            raise RuntimeError(f'no open port {cmd["name"]!r}')
        data = cmd['text'].encode() if 'text' in cmd else bytes((i * 31 + i // 251) & 255 for i in range(cmd['size']))
        got = self.port_in.setdefault(cmd['name'], {'bytes': 0, 'sha': hashlib.sha256()})
        got['bytes'], got['sha'] = 0, hashlib.sha256()
        # Through ctypes: spice-gtk sends the buffer by reference after the call returns, and
        # introspection frees its copy of a list at once; this one is kept for good.
        buf = ctypes.create_string_buffer(data, len(data))
        self.kept.append(buf)
        LIBSPICE.spice_port_channel_write_async(gobject_pointer(ch), buf, len(data), None, None, None)
        return {'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()}

    def port_received(self, name):
        got = self.port_in.get(name)
        return {'bytes': got['bytes'], 'sha256': got['sha'].hexdigest()} if got else {'bytes': 0, 'sha256': None}

    def watch_record(self, ch):
        self.record = ch
        self.record_format = None

        def start(_c, fmt, channels, rate):
            self.record_format = (channels, rate)
            emit('record-start', format=fmt, channels=channels, rate=rate)

        on(ch, 'record-start', start)
        on(ch, 'record-stop', lambda _c: emit('record-stop'))

    def record_tone(self, hz, seconds):
        # A sine sent as a microphone would: 10 ms at a time, paced by the clock.
        if self.record_format is None:
            raise RuntimeError('the record channel has not started')
        channels, rate = self.record_format
        frames_total = int(rate * seconds)
        t0 = time.monotonic()
        sent = 0

        def tick():
            nonlocal sent
            due = min(frames_total, int((time.monotonic() - t0) * rate) + rate // 50)
            if due > sent:
                n = due - sent
                samples = array.array('h', (int(12000 * math.sin(2 * math.pi * hz * (sent + i) / rate)) for i in range(n) for _ in range(channels)))
                buf = ctypes.create_string_buffer(samples.tobytes())
                self.record.send_data(ctypes.addressof(buf), len(samples) * 2, int((time.monotonic() - started) * 1000))
                sent = due
            if sent >= frames_total:
                emit('record-sent', frames=sent)
                return False
            return True

        GLib.timeout_add(10, tick)
        return {}

    def playback_dump(self, path, seconds):
        # The last `seconds` of playback PCM, raw S16LE, for the test to analyse.
        pb = getattr(self, 'playback', None)
        if not pb or not pb['format']:
            raise RuntimeError('no playback yet')
        f = pb['format']
        keep = int(seconds * f['rate']) * f['channels'] * 2
        with open(path, 'wb') as out:
            out.write(bytes(pb['pcm'][-keep:]))
        return {'channels': f['channels'], 'rate': f['rate'], 'bytes': pb['bytes'], 'packets': pb['packets']}

    # -- commands --------------------------------------------------------------------------

    def run(self, cmd):
        name = cmd.get('cmd')
        if name in ('quit', 'disconnect'):
            return self.stop(name)
        if name == 'screenshot':
            return self.screenshot(cmd['path'], cmd.get('display', 0))
        if name == 'monitor-config':
            return self.monitor_config(cmd['monitors'])
        if name == 'record-tone':
            return self.record_tone(cmd['hz'], cmd.get('seconds', 1))
        if name == 'playback-dump':
            return self.playback_dump(cmd['path'], cmd.get('seconds', 1))
        if name == 'clipboard-grab':
            return self.clipboard_grab(cmd)
        if name == 'file-copy':
            return self.file_copy(cmd['path'])
        if name == 'port-write':
            return self.port_write(cmd)
        if name == 'port-received':
            return self.port_received(cmd['name'])
        if name == 'port-break':
            self.ports[cmd['name']].event(2)  # SPICE_PORT_EVENT_BREAK
            return {}
        if name == 'preferred-video-codecs':
            # SpiceVideoCodecType numbers, best first: MJPEG 1, VP8 2, H264 3 (as remote-viewer's menu sends them).
            ch = self.displays[cmd.get('display', 0)]
            if not ch.display_channel_change_preferred_video_codec_types(cmd['codecs']):
                raise RuntimeError('spice_display_channel_change_preferred_video_codec_types refused')
            return {}
        if self.inputs is None:
            raise RuntimeError('no inputs channel')
        i = self.inputs
        buttons = cmd.get('buttons', 0)
        if name == 'key-press':
            i.key_press(cmd['scancode'])
        elif name == 'key-release':
            i.key_release(cmd['scancode'])
        elif name == 'key-press-release':
            i.key_press_and_release(cmd['scancode'])
        elif name == 'position':
            i.position(cmd['x'], cmd['y'], cmd.get('display', 0), buttons)
        elif name == 'motion':
            i.motion(cmd['dx'], cmd['dy'], buttons)
        elif name == 'button-press':
            i.button_press(cmd['button'], buttons)
        elif name == 'button-release':
            i.button_release(cmd['button'], buttons)
        elif name == 'key-locks':
            i.set_key_locks(cmd['locks'])  # SpiceInputsLock bits: scroll 1, num 2, caps 4
        else:
            raise ValueError(f'unknown command {name!r}')
        return {}

    def monitor_config(self, monitors):
        # What a client window does when resized (virt-viewer): each display's size and place,
        # then the whole layout sent to the agent at once (no 1 s debounce).
        if self.main is None:
            raise RuntimeError('no main channel')
        for m in monitors:
            self.main.update_display_enabled(m['id'], True, False)
            self.main.update_display(m['id'], m.get('x', 0), m.get('y', 0), m['width'], m['height'], False)
        if not self.main.send_monitor_config():
            raise RuntimeError('spice_main_channel_send_monitor_config refused (no agent?)')
        return {}

    def stop(self, how):
        if how == 'quit':
            finish(0)
            return {}
        # Marked as quitting first, so the channels closing now are not taken for failures.
        global quitting
        quitting = True
        on(self.session, 'disconnected', lambda _s: finish(0))
        self.session.disconnect()
        GLib.timeout_add(2000, lambda: finish(0, 'no "disconnected" from the session within 2 s'))
        return {}

    def screenshot(self, path, did):
        if did not in self.primaries:
            raise RuntimeError(f'no primary surface on display {did}')
        fmt, w, h, stride, data = self.primaries[did]
        if fmt not in (32, 96):
            raise RuntimeError(f'unsupported primary format {FORMAT_NAMES.get(fmt, fmt)}')
        raw = ctypes.string_at(data, stride * h)
        # Little-endian xRGB: bytes B, G, R, X per pixel; rows may be padded to the stride.
        px = raw if stride == w * 4 else b''.join(raw[y * stride:y * stride + w * 4] for y in range(h))
        rgb = bytearray(w * h * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = px[2::4], px[1::4], px[0::4]
        tmp = path + '.part'
        with open(tmp, 'wb') as f:
            f.write(b'P6\n%d %d\n255\n' % (w, h))
            f.write(rgb)
        os.replace(tmp, path)  # readers never see a half-written file
        return {'width': w, 'height': h, 'format': fmt}


def read_commands(probe):
    buf = b''

    def readable(fd, cond):
        nonlocal buf
        chunk = os.read(fd, 65536) if cond & GLib.IO_IN else b''
        if not chunk:
            if not quitting:
                finish(0)
            return False
        buf += chunk
        *lines, buf = buf.split(b'\n')
        for line in lines:
            if line.strip():
                handle(probe, line)
        return True

    GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, readable)


def handle(probe, line):
    seq = None
    try:
        cmd = json.loads(line)
        seq = cmd.get('seq')
        result = probe.run(cmd)
        emit('reply', seq=seq, cmd=cmd.get('cmd'), ok=True, **result)
    except Exception as e:  # a bad command is reported to the test, the session goes on
        emit('reply', seq=seq, ok=False, error=f'{type(e).__name__}: {e}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int)
    ap.add_argument('--tls-port', type=int)
    ap.add_argument('--ca-file')
    ap.add_argument('--host-subject', help='expected server certificate subject, e.g. "O=x,CN=127.0.0.1"')
    ap.add_argument('--password')
    ap.add_argument('--username', help='for SASL')
    ap.add_argument('--shared-dir', help="the folder spice-gtk's WebDAV server shares with the guest")
    ap.add_argument('--cache-size', type=int, help='the pixmap cache in bytes (DISPLAY_INIT offers a quarter of it in pixels)')
    args = ap.parse_args()
    if args.port is None and args.tls_port is None:
        ap.error('give --port and/or --tls-port')

    session = Spice.Session(host=args.host)
    if args.port is not None:
        session.props.port = str(args.port)
    if args.tls_port is not None:
        session.props.tls_port = str(args.tls_port)
    if args.ca_file:
        session.props.ca_file = args.ca_file
    if args.host_subject:
        session.props.cert_subject = args.host_subject
    if args.password is not None:
        session.props.password = args.password
    if args.username is not None:
        session.props.username = args.username
    if args.shared_dir is not None:
        session.props.shared_dir = args.shared_dir
    if args.cache_size is not None:
        session.props.cache_size = args.cache_size
    probe = Probe(session)
    read_commands(probe)
    if not Spice.Session.connect(session):
        finish(3, 'spice_session_connect failed')
    else:
        loop.run()
    sys.stdout.flush()
    sys.exit(exit_code)


if __name__ == '__main__':
    main()
