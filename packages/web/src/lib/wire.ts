import type { LogLine, RunStatus, WireNumber } from '@workbench/api';

// Values the app needs from @workbench/api, restated here so the bundle holds no zod schemas
// (the app uses the API's types only). lib/wire.test.ts checks they stay equal to the API's.

export const runStatuses: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'lost'];
export const logStreams: readonly LogLine['stream'][] = ['stdout', 'stderr', 'event', 'system'];

export function fromWireNumber(v: WireNumber): number {
  if (typeof v === 'number') return v;
  return v === 'NaN' ? Number.NaN : v === 'Infinity' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}
