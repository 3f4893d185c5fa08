/* Sound for the audio tests, through ALSA's kernel interface (no alsa-lib): a tone played on
 * the first card's PCM device, a second recorded from it and its dominant frequency printed
 * ("GUEST-TONE HZ"), and the card's playback volume and mute set through its mixer. Each sound
 * job runs in a child process, so that drawing and commands never wait for the sound card. */
#ifndef GUEST_SOUND_H
#define GUEST_SOUND_H

/* Plays a sine of `hz` (48 kHz stereo S16) until stopped, in place of what played (0: nothing). */
void sound_tone(int hz);
/* Plays 100 ms bursts of 1 kHz every 500 ms, silence between, printing "GUEST-BEEP N queued
 * FRAMES" as each burst's first 10 ms are written (FRAMES: the frames written before it and not
 * yet played); in place of what played. */
void sound_beep(void);
/* Ends what plays. */
void sound_stop(void);
/* Records one second and prints "GUEST-TONE HZ" (or "GUEST-ERROR record: ..."). */
void sound_record(void);
/* The card's playback volume in percent of its range, and its playback switch; "GUEST-SOUND ..." says what was set. */
void sound_volume(int percent);
void sound_mute(int on);

#endif
