import { LinkRefused } from '../../client/link.js';

/** The SpiceLinkErr a server refused a link with (null: it just closed), or -1 if it linked. */
export async function refusal(p: Promise<unknown>): Promise<number | null> {
  try {
    await p;
  } catch (err) {
    if (err instanceof LinkRefused) return err.code;
    throw err;
  }
  return -1;
}
