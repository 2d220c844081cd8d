import { describe, expect, test } from 'vitest';
import { runStatuses, type RunStatus } from '@workbench/api';
import { assertTransition, canTransition, isTerminal, runTransitions } from './run-state.js';

describe('run state machine', () => {
  const legal: Array<[RunStatus, RunStatus]> = [
    ['queued', 'running'], ['queued', 'cancelled'], ['queued', 'failed'], ['queued', 'lost'],
    ['running', 'succeeded'], ['running', 'failed'], ['running', 'cancelled'], ['running', 'lost'],
    ['failed', 'queued'], ['cancelled', 'queued'], ['lost', 'queued'],
  ];
  test.each(runStatuses.flatMap((from) => runStatuses.map((to) => [from, to] as const)))('%s -> %s', (from, to) => {
    const expected = legal.some(([a, b]) => a === from && b === to);
    expect(canTransition(from, to)).toBe(expected);
    if (expected) expect(() => assertTransition('r', from, to)).not.toThrow();
    else expect(() => assertTransition('r', from, to)).toThrow(/cannot become/);
  });
  test('ended states: every one but queued and running; only success is final', () => {
    expect(runStatuses.filter(isTerminal)).toEqual(['succeeded', 'failed', 'cancelled', 'lost']);
    expect(runStatuses.filter((s) => runTransitions[s].length === 0)).toEqual(['succeeded']);
    expect(Object.keys(runTransitions).sort()).toEqual([...runStatuses].sort());
  });
});
