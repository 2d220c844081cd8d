import type { BrowserContext } from 'playwright-core';
export const HARNESS_ORIGIN: string;
export function buildHarness(outDir?: string): string;
export function serveHarness(context: BrowserContext, dir: string): Promise<void>;
