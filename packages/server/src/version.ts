import { readFileSync } from 'node:fs';
import { serverPackageJson } from './paths.js';

/** This package's version. */
export const serverVersion: string = (() => {
  try {
    if (!serverPackageJson) return '0.0.0';
    return (JSON.parse(readFileSync(serverPackageJson, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
