/**
 * `splam resume` from two processes at once, end to end on the quick distillation config: exactly
 * one process resumes; the other fails with run_active (exit 1, one line) and writes nothing. Processes started
 * together reach the claim a few hundred ms apart, so this rarely hits the race window itself: the test that does
 * (both claims within a millisecond) is in test/track/processes.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from '../track/helpers.js';

const bin = path.join(ROOT, 'bin/splam.mjs');
const quick = path.join(ROOT, 'experiments/quick/distill.json');
const TRIALS = 3;

interface Proc {
  proc: ChildProcess;
  stderr: () => string;
  /** Resolves when stderr matches. */
  when: (re: RegExp) => Promise<void>;
  exited: Promise<number | null>;
}

function splam(args: string[], store: string): Proc {
  const proc = spawn(process.execPath, [bin, ...args], { cwd: ROOT, env: { ...process.env, SPLAM_STORE: store }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  proc.stdout!.resume();
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of [...waiters]) if (w.re.test(err)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  });
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  return {
    proc,
    stderr: () => err,
    exited,
    when: (re) => new Promise<void>((resolve) => (re.test(err) ? resolve() : waiters.push({ re, resolve }))),
  };
}

test(`two processes resuming one run at once: exactly one resumes, the other gets run_active and writes nothing (${TRIALS} trials)`, async () => {
  const base = tempDir('splam-resume-');
  const original = path.join(base, 'store');
  // An interrupted run with a checkpoint: the quick distillation, stopped by SIGINT after its first progress line.
  const first = splam(['run', quick, '--set', 'train.steps=100000', '--set', 'train.checkpointEvery=5', '--set', 'train.logEvery=5', '--json'], original);
  await first.when(/splam run: \d+\/100000/);
  first.proc.kill('SIGINT');
  assert.equal(await first.exited, 130, first.stderr());
  const id = /run (\S+) started/.exec(first.stderr())![1];

  let bothResumed = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const store = path.join(base, `trial-${trial}`);
    cpSync(original, store, { recursive: true });
    const metrics = path.join(store, 'runs', id, 'metrics.jsonl');
    const before = readFileSync(metrics, 'utf8').length;
    const pair = [splam(['resume', id], store), splam(['resume', id], store)];
    const resumed = pair.map((p) => p.when(/resumed on backend/).then(() => p));
    // Either one process exits (the loser) or both claim the run (the defect).
    const outcome = await Promise.race([
      ...pair.map((p) => p.exited.then(() => ({ loser: p }))),
      Promise.all(resumed).then(() => ({ loser: null })),
    ]);
    if (outcome.loser === null) {
      bothResumed++;
      for (const p of pair) p.proc.kill('SIGKILL');
      await Promise.all(pair.map((p) => p.exited));
      continue;
    }
    const loser = outcome.loser;
    const winner = pair.find((p) => p !== loser)!;
    assert.equal(await loser.exited, 1, `trial ${trial}: the loser exits 1\n${loser.stderr()}`);
    assert.match(loser.stderr(), /StoreError: run \S+ is still running \(pid \d+/, `trial ${trial}`);
    assert.doesNotMatch(loser.stderr(), /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(loser.stderr(), /resumed on backend/, `trial ${trial}: the loser never started`);
    // The winner trains on: after its first progress line, stop it with SIGINT (a checkpoint, every point flushed).
    await winner.when(/splam resume: \d+\/100000/);
    winner.proc.kill('SIGINT');
    assert.equal(await winner.exited, 130, winner.stderr());

    const rec = JSON.parse(readFileSync(path.join(store, 'runs', id, 'run.json'), 'utf8')) as { resumedAt: number[]; pid: number };
    assert.equal(rec.resumedAt.length, 1, `trial ${trial}: resumed once`);
    assert.equal(rec.pid, winner.proc.pid, `trial ${trial}: the record names the winner`);
    const lines = readFileSync(metrics, 'utf8').slice(before).split('\n').filter(Boolean);
    const steps = lines.map((l) => JSON.parse(l) as { k: string; s: number }).filter((p) => p.k === 'train/loss').map((p) => p.s);
    assert.ok(steps.length > 0, `trial ${trial}: the winner logged steps`);
    assert.equal(new Set(steps).size, steps.length, `trial ${trial}: no step logged twice (${steps.join(',')})`);
  }
  assert.equal(bothResumed, 0, `${bothResumed} of ${TRIALS} trials resumed the run in both processes`);
});
