import { readFileSync } from 'node:fs';

// The package's version, read once by whichever entry answers with it.
export const version: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;
