/**
 * Exit statuses of every subcommand: an unknown option or a missing argument exits 2, as
 * `splam --help` promises. In-process over the real program (no action runs: commander rejects the input first),
 * plus one real process through bin/splam.mjs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { allCommands, buildProgram, runCli } from '../../lib/cli/program.js';
import { ROOT } from '../track/helpers.js';

/** The words that name each command, e.g. ['runs', 'ls']. */
function commandPaths(): { path: string[]; needsArgument: boolean; group: boolean }[] {
  const out: { path: string[]; needsArgument: boolean; group: boolean }[] = [];
  const walk = (cmd: ReturnType<typeof buildProgram>, path: string[]) => {
    for (const sub of cmd.commands) {
      const p = [...path, sub.name()];
      out.push({ path: p, needsArgument: sub.registeredArguments.some((a) => a.required), group: sub.commands.length > 0 });
      walk(sub as ReturnType<typeof buildProgram>, p);
    }
  };
  walk(buildProgram(), []);
  return out;
}

async function run(args: string[]): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  let out = '';
  const code = await runCli(['node', 'splam', ...args], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, err, out };
}

test('every subcommand exits 2 on an unknown option, naming it', async () => {
  const paths = commandPaths();
  assert.ok(paths.length >= 15, `found ${paths.length} commands`);
  for (const { path } of paths) {
    const r = await run([...path, '--no-such-option']);
    assert.equal(r.code, 2, `splam ${path.join(' ')} --no-such-option exits 2 (got ${r.code}: ${r.err})`);
    assert.match(r.err, /unknown option '--no-such-option'/, `splam ${path.join(' ')}`);
  }
  assert.equal((await run(['--no-such-option'])).code, 2);
});

test('every subcommand with a required argument exits 2 without it; a command group without its subcommand exits 2', async () => {
  const paths = commandPaths();
  const needing = paths.filter((p) => p.needsArgument);
  assert.ok(needing.length >= 8, `found ${needing.length} commands with required arguments`);
  for (const { path } of needing) {
    const r = await run(path);
    assert.equal(r.code, 2, `splam ${path.join(' ')} without its argument exits 2 (got ${r.code})`);
    assert.match(r.err, /missing required argument/, `splam ${path.join(' ')}`);
  }
  for (const { path } of paths.filter((p) => p.group)) {
    assert.equal((await run(path)).code, 2, `splam ${path.join(' ')} alone exits 2`);
  }
  assert.equal((await run(['no-such-command'])).code, 2, 'an unknown command exits 2');
});

test('--help exits 0 and lists the exit statuses', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /Exit status: 0 success; 1 .*\n2 invalid input: unknown option, missing argument/);
  assert.equal((await run(['runs', 'ls', '--help'])).code, 0);
  assert.ok(allCommands(buildProgram()).some((c) => c.name() === 'ls'), 'allCommands walks nested commands');
});

test('through bin/splam.mjs a subcommand\'s unknown option exits 2 (a real process)', () => {
  const r = spawnSync(process.execPath, ['bin/splam.mjs', 'runs', 'ls', '--bogus'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /unknown option '--bogus'/);
});
