/** Polls `check` every `intervalMs` until it returns true, or fails after `timeoutMs`, naming `what`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000, intervalMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Lets the event loop run for `ms`: for asserting that something does NOT happen. */
export const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));
