/** Terminal presentation: numbers, durations, tables that fit, footers that say what was cut. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatNumber, formatRunsTable, formatTable, runDuration } from '../../lib/track/format.js';
import type { RunRecord } from '../../lib/track/types.js';

test('numbers print as integers, 5 significant digits, exponents at the extremes, NaN by name', () => {
  assert.deepEqual([42, 0.123456789, 1234.56789, 1e-7, 3.2e9, Number.NaN, -Infinity].map(formatNumber), ['42', '0.12346', '1234.6', '1.000e-7', '3200000000', 'NaN', '-Infinity']);
  assert.equal(formatNumber(1.5e12), '1.500e+12');
});

test('durations read naturally from milliseconds to days', () => {
  assert.deepEqual([850, 4200, 187_000, 7_500_000, 277_000_000].map(formatDuration), ['850ms', '4.2s', '3m07s', '2h05m', '3d04h']);
});

test('table cells are capped at their column width with an ellipsis and numbers align right', () => {
  const t = formatTable([{ header: 'NAME', max: 6 }, { header: 'V', align: 'right' }], [['abcdefghij', 1.5], ['ab', 100]]);
  assert.equal(t, 'NAME      V\nabcde…  1.5\nab      100\n');
});

test('the runs table says how many matched when it shows only some', () => {
  const run = { id: 'r1', name: 'r1', experiment: 'e', status: 'finished', createdAt: 0, endedAt: 1000, heartbeatAt: 1000, summary: {}, params: {} } as unknown as RunRecord;
  assert.match(formatRunsTable([run], { total: 120 }), /\n1 of 120 runs shown \(--limit 0 for all\)\n$/);
  assert.match(formatRunsTable([run]), /\n1 run\n$/);
  assert.equal(formatRunsTable([]), 'no runs match\n');
});

test('a running run\'s duration is the time so far; an ended run\'s runs to its end', () => {
  const base = { createdAt: 1_000, heartbeatAt: 1_100, endedAt: null } as unknown as RunRecord;
  assert.equal(runDuration({ ...base, status: 'running' } as RunRecord, 61_000), 60_000);
  assert.equal(runDuration({ ...base, status: 'finished', endedAt: 5_000 } as RunRecord, 61_000), 4_000);
  assert.equal(runDuration({ ...base, status: 'crashed' } as RunRecord, 61_000), 100);
});
