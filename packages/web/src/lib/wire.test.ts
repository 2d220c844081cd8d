import * as wireApi from '@workbench/api';
import { expect, test } from 'vitest';
import { fromWireNumber, logStreams, runStatuses } from './wire';

test('the constants restated for the bundle match @workbench/api', () => {
  expect(runStatuses).toEqual(wireApi.runStatuses);
  expect(logStreams).toEqual(wireApi.logStreams);
  for (const v of [1.5, 'NaN', 'Infinity', '-Infinity'] as const) expect(Object.is(fromWireNumber(v), wireApi.fromWireNumber(v))).toBe(true);
});
