#!/usr/bin/python3
# GLib's own D-Bus message codec (Gio.DBusMessage, what QEMU uses) as a reference for the tests:
# one JSON request per input line, one JSON answer per output line.
#   {"op":"encode","signature":S,"text":T,"order":"l"|"B","fds":N}  -> {"hex":...}
#     a signal /test/Values org.example.Test.Values from :1.9 to :1.10, serial 7, body T (GVariant
#     text of the tuple of type (S)); N placeholder fds make the UNIX_FDS field say N.
#   {"op":"decode","hex":H}  -> {"type":..,"serial":..,"path":..,"interface":..,"member":..,
#     "signature":..,"body":GVariant text (typed), "fds":N} or {"error":...}
#   {"op":"print","signature":S,"text":T}  -> {"body": GVariant text (typed)}: the form "decode" gives.
import json
import os
import sys

import gi

gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402


def body_of(signature, text):
    return GLib.Variant.parse(GLib.VariantType.new('(' + signature + ')'), text, None, None)


def encode(req):
    m = Gio.DBusMessage.new_signal('/test/Values', 'org.example.Test', 'Values')
    m.set_serial(7)
    m.set_sender(':1.9')
    m.set_destination(':1.10')
    if req['order'] == 'B':
        m.set_byte_order(Gio.DBusMessageByteOrder.BIG_ENDIAN)
    if req.get('fds'):
        fds = Gio.UnixFDList.new()
        for _ in range(req['fds']):
            fds.append(0)
        m.set_unix_fd_list(fds)
    if req['signature']:
        m.set_body(body_of(req['signature'], req['text']))
    return {'hex': bytes(m.to_blob(Gio.DBusCapabilityFlags.UNIX_FD_PASSING)).hex()}


def decode(req):
    try:
        m = Gio.DBusMessage.new_from_blob(bytes.fromhex(req['hex']), Gio.DBusCapabilityFlags.UNIX_FD_PASSING)
    except GLib.Error as e:
        return {'error': e.message}
    body = m.get_body()
    n = m.get_header(Gio.DBusMessageHeaderField.NUM_UNIX_FDS)
    return {
        'type': m.get_message_type().value_nick,
        'serial': m.get_serial(),
        'path': m.get_path(),
        'interface': m.get_interface(),
        'member': m.get_member(),
        'destination': m.get_destination(),
        'sender': m.get_sender(),
        'signature': m.get_signature(),
        'body': body.print_(True) if body is not None else None,
        'fds': n.get_uint32() if n is not None else 0,
    }


def main():
    ops = {'encode': encode, 'decode': decode, 'print': lambda r: {'body': body_of(r['signature'], r['text']).print_(True)}}
    for line in sys.stdin:
        req = json.loads(line)
        sys.stdout.write(json.dumps(ops[req['op']](req)) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    os.environ.setdefault('G_DEBUG', '')
    main()
