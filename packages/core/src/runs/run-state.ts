import type { RunStatus } from '@workbench/api';
import { UserError } from '../errors.js';

/**
 * The run lifecycle as a table. `transition` in runs.ts is the only writer of a run's status;
 * it consults this table and records why the status changed. A run that ended without
 * succeeding can be resumed (back to `queued` as its next attempt, e.g. from a checkpoint).
 */
export const runTransitions: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'cancelled', 'failed', 'lost'],
  running: ['succeeded', 'failed', 'cancelled', 'lost'],
  succeeded: [],
  failed: ['queued'],
  cancelled: ['queued'],
  lost: ['queued'],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return runTransitions[from].includes(to);
}

export function assertTransition(runId: string, from: RunStatus, to: RunStatus): void {
  if (!canTransition(from, to)) {
    throw new UserError('CONFLICT', `run ${runId} is ${from} and cannot become ${to}`, {
      hint: from === 'queued' || from === 'running' ? undefined : 'the run has already ended',
    } as { hint?: string });
  }
}

/** Ended: no process runs for it (though a resume may start another attempt). */
export const isTerminal = (s: RunStatus): boolean => s !== 'queued' && s !== 'running';
