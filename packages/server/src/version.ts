import { readFileSync } from 'node:fs';

/** This package's version (package.json sits one level above src/ and dist/). */
export const serverVersion: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
