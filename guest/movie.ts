import type { Box } from '../codecs/box.js';

/** The movie workload's default size (`movie=WxH`). */
export const defaultMovieSize = { width: 640, height: 360 } as const;

/** Where the guest plays a movie on a screen (src/movie.c: top right, 8 px in, clamped to the screen). */
export function movieBox(screen: { width: number; height: number }, movie: { width: number; height: number } = defaultMovieSize): Box {
  const width = Math.min(movie.width, screen.width);
  const height = Math.min(movie.height, screen.height);
  const left = Math.max(0, screen.width - width - 8);
  return { left, top: 0, right: left + width, bottom: height };
}
