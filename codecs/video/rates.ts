/**
 * The rates a stream frame may ask of an encoder: bit/s (spice-server's streams go from 128 kbit/s
 * up; a loopback net test can measure several Gbit/s) and frames a second.
 */
export const maxBitRate = 1e9;
export const maxFrameRate = 120;
