import type { ModelStage } from '@workbench/api';
import { UserError } from '../errors.js';

/**
 * The model-stage lifecycle as a table; `Models.changeStage` is its only writer. A version
 * reaches production from draft or staging, never straight out of the archive: an archived
 * version is restored to draft or staging first, so it passes review again.
 */
export const stageTransitions: Record<ModelStage, readonly ModelStage[]> = {
  draft: ['staging', 'production', 'archived'],
  staging: ['production', 'draft', 'archived'],
  production: ['staging', 'archived'],
  archived: ['draft', 'staging'],
};

/** What each edge is called in the CLI, the UI and the audit trail. */
export function transitionName(from: ModelStage, to: ModelStage): 'promote' | 'demote' | 'archive' | 'restore' {
  if (to === 'archived') return 'archive';
  if (from === 'archived') return 'restore';
  const rank: Record<ModelStage, number> = { draft: 0, staging: 1, production: 2, archived: -1 };
  return rank[to] > rank[from] ? 'promote' : 'demote';
}

export function canChangeStage(from: ModelStage, to: ModelStage): boolean {
  return stageTransitions[from].includes(to);
}

export function assertStageChange(label: string, from: ModelStage, to: ModelStage): void {
  if (from === to) throw new UserError('CONFLICT', `${label} is already in ${to}`);
  if (!canChangeStage(from, to)) {
    throw new UserError('CONFLICT', `${label} is ${from} and cannot move to ${to}`, {
      hint: from === 'archived' ? `restore it first: wb model promote ${label.replace('@', ' ')} --to staging (an archived version goes to draft or staging before production)` : `from ${from} it can go to: ${stageTransitions[from].join(', ')}`,
    });
  }
}
