/** The specification's limits on what a message may hold, enforced both ways. */
export const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;
export const MAX_ARRAY_BYTES = 64 * 1024 * 1024;
/** Containers around a value, across variants (32 arrays + 32 structures). */
export const MAX_DEPTH = 64;
