/** `doctor` on run folders that a kill or a full disk left half made. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { doctorStore, needsRepair, openStore, withRun } from '../../lib/track/index.js';
import { NO_GIT, ROOT, tempDir } from './helpers.js';

const ID = '20260101-000000-000-abcdef';

async function storeWithOneRun(): Promise<{ dir: string; id: string }> {
  const dir = tempDir();
  const store = await openStore(dir);
  const id = await withRun(store, { experiment: 'ok', provenance: NO_GIT }, (run) => {
    run.logMetric('loss', 1);
    return run.id;
  });
  await store.close();
  return { dir, id };
}

function doctorCli(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/splam.mjs', 'runs', 'doctor', '--store', dir, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('a run folder holding only its heartbeat (killed inside startRun): dry run reports it, doctor removes it, a second dry run is clean', async () => {
  const { dir, id } = await storeWithOneRun();
  const folder = path.join(dir, 'runs', ID);
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'heartbeat'), '');

  const dry = await doctorStore(dir);
  assert.deepEqual(dry.issues.map((i) => [i.code, i.runId]), [['aborted_start', ID]]);
  assert.ok(needsRepair(dry));
  assert.ok(existsSync(folder), 'a dry run changes nothing');
  assert.equal(doctorCli(dir, '--dry-run').code, 1, 'the CLI dry run says the store needs repair');

  const fix = await doctorStore(dir, { repair: true });
  assert.equal(fix.repaired, true);
  assert.match(fix.actions.join('\n'), /removed 1 run folder\(s\) of runs that never started/);
  assert.ok(!existsSync(folder));
  const again = await doctorStore(dir);
  assert.deepEqual(again.issues, [], 'a second dry run is clean');
  const cli = doctorCli(dir, '--dry-run');
  assert.equal(cli.code, 0, cli.out + cli.err);
  const store = await openStore(dir, { create: false });
  assert.deepEqual((await store.listRuns()).map((r) => r.id), [id], 'the real run is untouched');
  await store.close();
});

test('a run folder with data but no run.json and no index entry is moved to quarantine/, not deleted; a second dry run is clean', async () => {
  const { dir } = await storeWithOneRun();
  const folder = path.join(dir, 'runs', ID);
  mkdirSync(path.join(folder, 'artifacts'), { recursive: true });
  writeFileSync(path.join(folder, 'heartbeat'), '');
  writeFileSync(path.join(folder, 'metrics.jsonl'), '{"k":"loss","s":0,"v":1,"t":1}\n');
  writeFileSync(path.join(folder, 'artifacts', 'grid.png'), 'png');

  const dry = await doctorStore(dir);
  assert.deepEqual(dry.issues.map((i) => [i.code, i.runId]), [['orphan_run_folder', ID]]);
  assert.ok(needsRepair(dry));
  const fix = await doctorStore(dir, { repair: true });
  assert.ok(!existsSync(folder));
  const [moved] = readdirSync(path.join(dir, 'quarantine'));
  assert.match(moved, new RegExp(`^${ID}-`));
  assert.ok(existsSync(path.join(dir, 'quarantine', moved, 'metrics.jsonl')), 'nothing lost');
  assert.match(fix.actions.join('\n'), /moved 1 run folder\(s\) without a record to .*quarantine/);
  assert.deepEqual((await doctorStore(dir)).issues, [], 'a second dry run is clean');
  const cli = doctorCli(dir, '--dry-run');
  assert.equal(cli.code, 0, cli.out + cli.err);
});

test('temp files of interrupted artifact writes (artifacts/<sub>/.<name>.<pid>.<hex>.tmp) are found and removed', async () => {
  const { dir, id } = await storeWithOneRun();
  const sub = path.join(dir, 'runs', id, 'artifacts', 'ckpt');
  mkdirSync(sub, { recursive: true });
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // a writer that has exited
  const tmp = path.join(sub, `.checkpoint.bin.${gone}.0123456789ab.tmp`);
  writeFileSync(tmp, 'partial');
  const dry = await doctorStore(dir);
  assert.deepEqual(dry.issues.map((i) => [i.code, i.file]), [['stray_temp', tmp]]);
  await doctorStore(dir, { repair: true });
  assert.ok(!existsSync(tmp));
  assert.deepEqual((await doctorStore(dir)).issues, []);
});
