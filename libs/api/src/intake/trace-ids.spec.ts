import { TRACE_ID_PATTERN } from '@parc/envelope';
import { pooledTraceIds } from './trace-ids';

it('draws distinct W3C trace ids, across pool refills', () => {
  const next = pooledTraceIds();
  const ids = Array.from({ length: 1000 }, next);
  expect(new Set(ids).size).toBe(1000);
  expect(ids.every((id) => new RegExp(TRACE_ID_PATTERN).test(id))).toBe(true);
});
