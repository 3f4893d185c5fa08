/* The test guest's SPICE agent: guestdraw run as "guestagent" (init starts it in the background)
 * speaks the vdagent protocol on the virtio port com.redhat.spice.0 (found through
 * /sys/class/virtio-ports, as there is no udev), as spice-vdagent does for what tests need:
 * capabilities, the clipboard both ways (UTF-8 text, with selections), file transfer in,
 * monitor configs, mouse states. Serial console lines out:
 *   GUEST-AGENT up DEV | down | client-caps HEX | client-disconnected | message TYPE of N bytes
 *   GUEST-CLIPBOARD TEXT (or "sha256=HEX len=N" when long or not printable), GUEST-CLIPBOARD-GRAB N types,
 *   GUEST-CLIPBOARD-GRABBED N (or TEXT as above for clipboard-big), GUEST-CLIPBOARD-SENT N, GUEST-CLIPBOARD-RELEASE
 *   GUEST-FILE NAME SIZE SHA256 (a whole file received), GUEST-FILE-STATUS ID RESULT
 *   GUEST-MONITORS N WxH+X+Y..., GUEST-MOUSE X Y buttons=B display=D
 * Commands come through a FIFO (guestdraw forwards its serial commands "clipboard TEXT",
 * "clipboard-big N" and "agent restart" to it). */
#ifndef GUEST_AGENT_H
#define GUEST_AGENT_H

#define AGENT_FIFO "/tmp/guestagent"

int agent_main(void);
/* Passes a command line to the running agent; -1 if none runs. */
int agent_forward(const char *line);

#endif
