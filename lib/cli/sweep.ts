/**
 * `splam sweep <config> --set k=10,20,50 --set seed=0,1,2`: run a grid of configs, each point a recorded run
 * in its own child process (issue 4, item 6). Every point is validated before the first one starts.
 *
 * `splam sweep-point` (hidden) is the child: one point as a run tagged with the sweep id, with `splam run`'s
 * output and exit status (0, or 130 when stopped with a checkpoint).
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, type ConfigIssue } from '../errors.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

interface SweepFlags {
  set?: string[];
  parallel?: string;
  name?: string;
  store?: string;
  metrics?: string;
  dryRun: boolean;
  json: boolean;
}

/** `--parallel` → an integer ≥ 1, or the number of cores when absent. @throws ConfigError naming the flag. */
function parseParallel(flag: string | undefined): number {
  if (flag === undefined) return availableParallelism();
  const n = Number(flag);
  if (!/^\d+$/.test(flag) || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError('options of splam sweep', [{ path: '--parallel', value: flag, message: 'not a whole number ≥ 1', allowed: 'an integer ≥ 1' }]);
  }
  return n;
}

/** Run each flag parser; when any fails, throw one ConfigError with every failed flag's issues. */
function allFlags<A, B>(a: () => A, b: () => B): [A, B] {
  const issues: ConfigIssue[] = [];
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
      return undefined;
    }
  };
  const ra = attempt(a);
  const rb = attempt(b);
  if (issues.length) throw new ConfigError('options of splam sweep', issues);
  return [ra as A, rb as B];
}

/** `--tag key=value` flags → tags. @throws ConfigError naming the bad flags. */
function parseTags(flags: readonly string[]): Record<string, string> {
  const bad = flags.filter((t) => t.indexOf('=') <= 0);
  if (bad.length) throw new ConfigError('options of splam sweep-point', bad.map((t) => ({ path: '--tag', value: t, message: 'expected key=value', allowed: 'key=value' })));
  return Object.fromEntries(flags.map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]));
}

function say(line: string): void {
  // On a terminal the progress bar owns the last line: clear it, print above it; the bar redraws on its next update.
  process.stderr.write(process.stderr.isTTY ? `\r\x1b[2K${line}\n` : `${line}\n`);
}

export function registerSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description('run a grid of configs (the cartesian product of --set lists), each point a recorded run, several at once')
    .argument('<config>', 'path to a JSON config')
    .option(
      '--set <path=v1,v2,…>',
      '[path=JSON list] swept field (repeatable); values split on commas outside [ ], { } and "…", each parsed like --set of splam run: ' +
        '--set k=10,20,50 is 3 values, --set nfe=[2,4] is 1, --set nfe=[2],[4,8] is 2; first --set varies slowest (default: none, one run of the config)',
      collect,
    )
    .option('--parallel <n>', `[integer ≥ 1] points run at once (default: the number of cores, ${availableParallelism()} here, capped at the number of points)`)
    .option('--name <name>', '[string] run name base; each run is <name>[k=10,seed=0] (default: the config name or file name)')
    .option('--store <dir>', '[dir] run store folder, shared by every point (default: $SPLAM_STORE, else ./store)')
    .option('--metrics <keys>', '[key,key] summary metrics shown in the final table (default: the first three)')
    .option('--dry-run', 'validate and list the points; run nothing', false)
    .option('--json', 'print the points (with --dry-run) or the results as JSON', false)
    .addHelpText(
      'after',
      '\nEach point runs as `splam run` would, in its own process, tagged sweep=<id> and sweep.point=<k=10,seed=0>.\n' +
        'Ctrl-C: no new points; the running ones get SIGINT (training stops after its step with a checkpoint);\n' +
        'again: they exit at once; a third time: they are killed.\n' +
        'Exit status: 0 all finished, 1 some failed, 2 invalid flags or config (nothing ran), 130 interrupted.',
    )
    .action(async (config: string, opts: SweepFlags) => {
      const sweep = await import('../experiments/sweep.js');
      const [parallel, axes] = allFlags(
        () => parseParallel(opts.parallel),
        () => sweep.parseAxes(opts.set ?? []),
      );
      const { validateConfig } = await import('../experiments/runner.js');
      const { readConfigFile } = await import('../config.js');
      const points = await sweep.planSweep(readConfigFile(config), axes, { source: config, name: opts.name, validate: validateConfig });
      const sweepId = sweep.newSweepId();
      if (opts.dryRun) {
        if (opts.json) process.stdout.write(JSON.stringify({ sweepId, config, points }, null, 2) + '\n');
        else process.stdout.write(`${points.length} point(s) of ${config}:\n${points.map((p) => `  #${p.index} ${p.name}  ${p.overrides.map((o) => `--set ${o}`).join(' ')}`).join('\n')}\n`);
        return;
      }

      const track = await import('../track/index.js');
      const storeDir = resolve(opts.store ?? track.defaultStoreDir());
      await (await track.openStore(storeDir)).close(); // create it once and fail early, not in every child
      const { countStatuses, formatCounts, formatSweepEvent, formatSweepTable, runSweep, SweepControl, SweepError } = await import('../experiments/sweep-runner.js');
      const { progressReporter } = await import('./progress.js');
      const { childThreadEnv } = await import('../backend/native.js');
      const bin = fileURLToPath(new URL('../../bin/splam.mjs', import.meta.url));
      const width = Math.min(parallel, points.length);
      say(`splam sweep: ${sweepId}: ${points.length} point(s) of ${config}, ${width} at once, store ${storeDir}`);

      const bar = process.stderr.isTTY ? progressReporter('splam sweep') : null;
      const control = new SweepControl();
      // Each SIGINT/SIGTERM is forwarded to the running points (children have their own process group, so a
      // terminal's Ctrl-C reaches them only this way): the first makes training runs stop after their current step
      // with a checkpoint, the second makes them exit at once; from the third on they are killed.
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        const forwarded = control.stop(signals >= 3 ? 'SIGKILL' : signal);
        const next = signals === 1 ? 'they stop after their current step (training: with a checkpoint); again to make them exit at once' : signals === 2 ? 'they exit now; again to kill them' : 'killed';
        say(`splam sweep: ${signal}: starting no more points; ${forwarded} running: ${next}`);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const t0 = performance.now();
      let results;
      try {
        results = await runSweep(points, {
          parallel: width,
          command: (p) => ({
            file: process.execPath,
            args: [bin, 'sweep-point', ...p.overrides.map((o) => `--set=${o}`), `--name=${p.name}`, `--store=${storeDir}`, `--tag=sweep=${sweepId}`, ...(p.key ? [`--tag=sweep.point=${p.key}`] : []), '--', config],
            env: { ...process.env, ...childThreadEnv(width), SPLAM_STORE: storeDir },
          }),
          control,
          onEvent: (e) => {
            say(`splam sweep: ${formatSweepEvent(e)}`);
            bar?.update({ done: e.done, total: e.total, label: `${e.running} running` });
          },
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        bar?.stop();
      }
      const wallMs = performance.now() - t0;

      if (opts.json) {
        process.stdout.write(JSON.stringify({ sweepId, config, store: storeDir, parallel: width, interrupted: control.stopped, wallMs, points: results }, null, 2) + '\n');
      } else {
        const keys = opts.metrics?.split(',').map((s) => s.trim()).filter(Boolean);
        process.stdout.write(`${formatSweepTable(results, keys)}\n\nsweep ${sweepId}: ${points.length} point(s) in ${(wallMs / 1000).toFixed(1)} s (splam runs ls --tag sweep=${sweepId})\n`);
      }
      const counts = countStatuses(results);
      if (control.stopped) {
        say(`splam sweep: interrupted: ${formatCounts(counts)}`);
        process.exitCode = 130;
      } else if (counts.failed > 0) throw new SweepError(sweepId, counts);
    });

  program
    .command('sweep-point', { hidden: true })
    .description('(internal, started by splam sweep) run one sweep point as a tagged run; prints the result as JSON')
    .argument('<config>', 'path to a JSON config')
    .option('--set <path=value>', 'override (repeatable)', collect, [])
    .option('--name <name>', 'run name')
    .option('--store <dir>', 'run store folder')
    .option('--tag <key=value>', 'tag for the run (repeatable)', collect, [])
    .action(async (config: string, opts: { set: string[]; name?: string; store?: string; tag: string[] }) => {
      const tags = parseTags(opts.tag);
      const { runConfigFile } = await import('../experiments/runner.js');
      const { describeBackend } = await import('../backend.js');
      const result = await runConfigFile(config, {
        overrides: opts.set,
        storeDir: opts.store,
        name: opts.name,
        tags,
        onStart: (id, backend) => process.stderr.write(`run ${id} started on backend ${describeBackend(backend)}\n`),
      });
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      if (result.stopped) process.exitCode = 130; // as splam run: stopped on request, with a checkpoint
    });
}
