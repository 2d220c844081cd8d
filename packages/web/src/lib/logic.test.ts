import type { LogLine, MetricPoint, Run } from '@workbench/api';
import { describe, expect, test } from 'vitest';
import { parseParam, splitCommand } from './command';
import { formatBytes, formatDuration, formatNumber, progressFraction, runDuration, shortHash, timeAgo } from './format';
import { LogLines } from './log-store';
import { filterLines, levelPasses, splitMatches } from './logs';
import { columnValue, discoverKeys, filterRuns, parseWhere, sortRuns } from './runs';
import { alignSeries, mergeLivePoints, resumeSeq, seriesFromPoints } from './series';
import { positiveOnly, smooth, toXY } from './chart-data';
import { keysForEvent } from './live';

const line = (seq: number, stream: LogLine['stream'], text: string, level = 'INFO'): LogLine => ({ seq, ts: 1_700_000_000 + seq, stream, level, text });

describe('format', () => {
  test('bytes, durations, numbers', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.50 KB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.00 GB');
    expect(formatBytes(null)).toBe('—');
    expect(formatDuration(400)).toBe('0.4 s');
    expect(formatDuration(12_000)).toBe('12 s');
    expect(formatDuration(184_000)).toBe('3m 04s');
    expect(formatDuration(2 * 3600_000 + 5 * 60_000)).toBe('2h 05m');
    expect(formatDuration(-1)).toBe('—');
    expect(formatNumber(0.123456789)).toBe('0.12346');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(1e-7)).toBe('1.000e-7');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Number.NEGATIVE_INFINITY)).toBe('−∞');
    expect(shortHash('sha256:abcdef0123456789')).toBe('abcdef012345');
  });
  test('run duration, progress and time ago', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    expect(runDuration({ startedAt: '2026-01-01T00:00:00Z', endedAt: null }, now)).toBe(60_000);
    expect(runDuration({ startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:00:30Z' }, now)).toBe(30_000);
    expect(runDuration({ startedAt: null, endedAt: null }, now)).toBeNull();
    expect(progressFraction({ current: 5, total: 10 })).toBe(0.5);
    expect(progressFraction({ current: 50, total: 10 })).toBe(1);
    expect(progressFraction({ current: 5, total: null })).toBeNull();
    expect(timeAgo('2026-01-01T00:00:00Z', now)).toBe('1m ago');
  });
});

describe('logs', () => {
  const lines = [line(1, 'stdout', 'epoch 1'), line(2, 'stderr', 'Warning: slow', 'WARN'), line(3, 'event', 'loss=0.5'), line(4, 'system', 'started'), line(5, 'stdout', 'boom', 'ERROR')];
  const all = new Set<LogLine['stream']>(['stdout', 'stderr', 'event', 'system']);
  test('filter by stream, level and search (more in log-store.test.ts)', () => {
    const held = LogLines.from(lines);
    const ids = (f: { streams: Set<LogLine['stream']>; level: string; search: string }) => Array.from(filterLines(null, held, f).ids);
    expect(ids({ streams: all, level: '', search: '' })).toEqual([0, 1, 2, 3, 4]);
    expect(ids({ streams: new Set(['stderr']), level: '', search: '' })).toEqual([1]);
    expect(ids({ streams: all, level: 'WARN', search: '' })).toEqual([1, 4]);
    expect(ids({ streams: all, level: '', search: 'SLOW' })).toEqual([1]);
    expect(levelPasses('weird', '')).toBe(true);
    expect(levelPasses('weird', 'WARN')).toBe(false);
  });
  test('highlight splits', () => {
    expect(splitMatches('a Loss and loss', 'loss')).toEqual([
      { text: 'a ', match: false },
      { text: 'Loss', match: true },
      { text: ' and ', match: false },
      { text: 'loss', match: true },
    ]);
    expect(splitMatches('abc', '')).toEqual([{ text: 'abc', match: false }]);
    // Lower-casing İ gives two characters: the highlight still covers the right ones.
    expect(splitMatches('İstanbul İzmir', 'stan')).toEqual([
      { text: 'İ', match: false },
      { text: 'stan', match: true },
      { text: 'bul İzmir', match: false },
    ]);
    expect(splitMatches('İzmir', 'i')).toEqual([
      { text: 'İ', match: true },
      { text: 'zm', match: false },
      { text: 'i', match: true },
      { text: 'r', match: false },
    ]);
  });
});

describe('series', () => {
  const pt = (key: string, step: number, value: MetricPoint['value'], seq: number): MetricPoint => ({ key, step, value, ts: 0, seq, attempt: 1 });
  test('live points append, replace a step, insert a rewound step; non-finite become gaps', () => {
    const base = { loss: seriesFromPoints([{ step: 1, value: 1, ts: 5 }, { step: 3, value: 0.5, ts: 6 }]) };
    const next = mergeLivePoints(base, [pt('loss', 4, 0.4, 10), pt('loss', 3, 0.45, 11), pt('loss', 2, 0.7, 12), pt('acc', 1, 'NaN', 13)]);
    expect(next.loss).toEqual({ steps: [1, 2, 3, 4], values: [1, 0.7, 0.45, 0.4], times: [5, 0, 0, 0] });
    expect(next.acc).toEqual({ steps: [1], values: [null], times: [0] });
    expect(base.loss.steps).toEqual([1, 3]); // not mutated
  });
  test('align on the union of steps', () => {
    expect(alignSeries([{ steps: [1, 2], values: [10, 20] }, { steps: [2, 3], values: [5, 6] }])).toEqual([
      [1, 2, 3],
      [10, 20, null],
      [null, 5, 6],
    ]);
  });
  test('series at the same steps share their x axis', () => {
    const steps = [0, 1, 2];
    const [x, a, b] = alignSeries([{ steps, values: [1, 2, 3] }, { steps: [0, 1, 2], values: [4, null, 6] }]);
    expect(x).toEqual([0, 1, 2]);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([4, null, 6]);
  });
  test('smoothing: a debiased moving average that skips gaps; log axes drop non-positive values', () => {
    expect(smooth([2, 2, 2], 0.9)).toEqual([2, 2, 2].map(() => expect.closeTo(2, 10)));
    const s = smooth([0, 10, null, 10], 0.5);
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo(10 * 0.5 / 0.75, 10);
    expect(s[2]).toBeNull();
    expect(smooth([1, 2], 0)).toEqual([1, 2]);
    expect(positiveOnly([1, 0, -2, null, 3])).toEqual([1, null, null, null, 3]);
  });
  test('x by time: seconds, sorted when a resumed attempt goes back in time', () => {
    const s = { steps: [0, 1, 2], values: [1, 2, 3], times: [3000, 1000, 2000] };
    expect(toXY(s, 'relative')).toEqual({ steps: [0, 1, 2], values: [2, 3, 1] });
    expect(toXY(s, 'time').steps).toEqual([1, 2, 3]);
    expect(toXY(s, 'step')).toEqual({ steps: [0, 1, 2], values: [1, 2, 3] });
  });
  test('resume after the highest seq fetched', () => {
    expect(resumeSeq([])).toBe(0);
    expect(resumeSeq([3, 90, 12])).toBe(90);
  });
});

function run(over: Partial<Run>): Run {
  return {
    id: over.name ?? 'r',
    projectId: 'p',
    projectName: 'proj',
    name: 'r',
    kind: 'train',
    status: 'succeeded',
    statusReason: null,
    command: [],
    template: null,
    cwd: null,
    attempt: 1,
    exitCode: 0,
    createdAt: '2026-01-01T00:00:00Z',
    startedAt: '2026-01-01T00:00:00Z',
    endedAt: '2026-01-01T00:00:10Z',
    progress: null,
    device: null,
    host: null,
    deletedAt: null,
    params: {},
    tags: {},
    metrics: [],
    ...over,
  };
}

describe('runs table logic', () => {
  const runs = [
    run({ name: 'a', status: 'failed', params: { lr: 0.1, opt: 'adam' }, metrics: [{ key: 'loss', last: 0.5, lastStep: 9, min: 0.3, max: 1, count: 10 }] }),
    run({ name: 'b', params: { lr: 0.01 }, metrics: [{ key: 'loss', last: 0.2, lastStep: 9, min: 0.1, max: 0.9, count: 10 }] }),
    run({ name: 'c10', params: { lr: 0.001, opt: 'sgd' } }),
    run({ name: 'c9', status: 'running', endedAt: null }),
  ];
  test('column values', () => {
    expect(columnValue(runs[0]!, 'metric:loss:min')).toBe(0.3);
    expect(columnValue(runs[2]!, 'metric:loss:min')).toBeNull();
    expect(columnValue(runs[0]!, 'param:opt')).toBe('adam');
    expect(columnValue(runs[0]!, 'duration')).toBe(10_000);
  });
  test('sort: numbers, natural names, nulls last both ways', () => {
    expect(sortRuns(runs, 'metric:loss:last', false).map((r) => r.name)).toEqual(['b', 'a', 'c10', 'c9']);
    expect(sortRuns(runs, 'metric:loss:last', true).map((r) => r.name)).toEqual(['a', 'b', 'c10', 'c9']);
    expect(sortRuns(runs, 'name', false).map((r) => r.name)).toEqual(['a', 'b', 'c9', 'c10']);
  });
  test('where clauses', () => {
    expect(parseWhere('param:lr>0.01')).toEqual({ col: 'param:lr', op: '>', value: '0.01' });
    expect(parseWhere('metric:loss:min <= 0.2')).toEqual({ col: 'metric:loss:min', op: '<=', value: '0.2' });
    expect(parseWhere('metric:val/loss<1')).toEqual({ col: 'metric:val/loss:last', op: '<', value: '1' });
    expect(parseWhere('lr>1')).toBeNull();
    const w = (s: string) => [parseWhere(s)!];
    expect(filterRuns(runs, { statuses: new Set(), name: '', where: w('param:lr>=0.01') }).map((r) => r.name)).toEqual(['a', 'b']);
    expect(filterRuns(runs, { statuses: new Set(), name: '', where: w('param:opt=sgd') }).map((r) => r.name)).toEqual(['c10']);
    expect(filterRuns(runs, { statuses: new Set(), name: '', where: w('metric:loss:min<0.2') }).map((r) => r.name)).toEqual(['b']);
    expect(filterRuns(runs, { statuses: new Set(['failed', 'running']), name: '', where: [] }).map((r) => r.name)).toEqual(['a', 'c9']);
    expect(filterRuns(runs, { statuses: new Set(), name: 'C', where: [] }).map((r) => r.name)).toEqual(['c10', 'c9']);
  });
  test('discover keys', () => {
    expect(discoverKeys(runs)).toEqual({ params: ['lr', 'opt'], metrics: ['loss'] });
  });
});

describe('commands and params typed in the start-a-run form', () => {
  test('split like a simple shell', () => {
    expect(splitCommand('python3 train.py --lr 0.1')).toEqual(['python3', 'train.py', '--lr', '0.1']);
    expect(splitCommand(`node -e "console.log('a b')" ''`)).toEqual(['node', '-e', "console.log('a b')", '']);
    expect(splitCommand('a\\ b  c')).toEqual(['a b', 'c']);
    expect(splitCommand('   ')).toEqual([]);
  });
  test('param values', () => {
    expect(parseParam('0.01')).toBe(0.01);
    expect(parseParam('true')).toBe(true);
    expect(parseParam('adam')).toBe('adam');
    expect(parseParam('')).toBe('');
  });
});

describe('live invalidation', () => {
  test('events map to the queries they make stale', () => {
    expect(keysForEvent({ type: 'run.status', entityId: 'r1' })).toContainEqual(['run', 'r1']);
    expect(keysForEvent({ type: 'project.renamed', entityId: 'p' })).toContainEqual(['projects']);
    expect(keysForEvent({ type: 'dataset.imported', entityId: 'd' })).toContainEqual(['datasets']);
  });
});
