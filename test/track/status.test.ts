/** Crash detection from pid and heartbeat, derived on read. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { crashReason, deriveStatus, isProcessAlive, processStartTime, type LivenessProbe } from '../../lib/track/status.js';
import type { RunRecord } from '../../lib/track/types.js';

const base = { id: 'r', status: 'running', host: 'here', pid: 100, pidStart: '7', heartbeatAt: 1_000 } as RunRecord;
const probe = (over: Partial<LivenessProbe> = {}): LivenessProbe => ({
  now: 10_000,
  host: 'here',
  heartbeatTimeoutMs: 60_000,
  isAlive: () => true,
  heartbeatOf: () => 9_000,
  ...over,
});

test('a running run on this host whose process is gone shows as crashed (process_gone)', () => {
  const r = deriveStatus(base, probe({ isAlive: () => false }));
  assert.equal(r.status, 'crashed');
  assert.equal(r.crashReason, 'process_gone');
  assert.equal(r.heartbeatAt, 9_000, 'the live heartbeat is reported');
  assert.equal(base.status, 'running', 'the input record is not changed');
});

test('a stale heartbeat marks a run crashed unless its own process is verifiably alive on this host', () => {
  assert.equal(crashReason({ ...base, pidStart: null }, probe({ now: 70_001 })), 'heartbeat_timeout', 'a live pid without a start time may be a reused one');
  assert.equal(crashReason({ ...base, pidStart: '12345' }, probe({ now: 70_001 })), null, 'pid and start time match: alive though its timer was blocked');
  assert.equal(crashReason({ ...base, pidStart: '12345' }, probe({ now: 70_001, isAlive: () => false })), 'process_gone');
  assert.equal(crashReason({ ...base, host: 'elsewhere' }, probe({ isAlive: () => false })), null, 'pids of other hosts are not checked');
  assert.equal(crashReason({ ...base, host: 'elsewhere' }, probe({ now: 70_001 })), 'heartbeat_timeout');
  assert.equal(crashReason({ ...base, pidStart: null }, probe({ heartbeatOf: () => null, now: 61_001 })), 'heartbeat_timeout', 'without a heartbeat file the record time counts');
});

test('finished, failed and live running runs are returned unchanged', () => {
  for (const status of ['finished', 'failed', 'crashed'] as const) {
    const r = { ...base, status };
    assert.equal(deriveStatus(r, probe({ isAlive: () => false, now: 1e9 })), r);
  }
  assert.equal(deriveStatus(base, probe()).status, 'running');
});

test('process liveness: this process is alive; an exited child is not; a reused pid (other start time) is not', () => {
  assert.equal(isProcessAlive(process.pid, processStartTime(process.pid)), true);
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  assert.equal(isProcessAlive(Number(child.stdout), null), false);
  if (process.platform === 'linux') {
    assert.match(processStartTime(process.pid) ?? '', /^\d+$/);
    assert.equal(isProcessAlive(process.ppid, 'not-its-start-time'), false);
    assert.equal(isProcessAlive(process.ppid, processStartTime(process.ppid)), true);
  }
});
