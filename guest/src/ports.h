/* The test guest's SPICE port ends: guestdraw run as "guestport" (init starts it in the
 * background) opens every virtio-serial port but the agent's (found through
 * /sys/class/virtio-ports, as there is no udev) and
 *   - echoes back whatever the host writes to a port (a SPICE port channel's client gets its
 *     bytes back);
 *   - on org.spice-space.webdav.0, plays spice-webdavd's part: each time the host side connects,
 *     asks the client's WebDAV server (spice-gtk's shared folder) for /hello.txt through the
 *     port's mux (client id i64 LE, size u16 LE, data).
 * Serial console lines out:
 *   GUEST-PORT open NAME | echoed NAME N (every 64 KiB echoed, and on each host disconnect with
 *   the connection's total)
 *   GUEST-WEBDAV STATUS-LINE, GUEST-WEBDAV-BODY TEXT (the body, when short and printable) */
#ifndef GUEST_PORTS_H
#define GUEST_PORTS_H

int ports_main(void);

#endif
