/**
 * `splam sweep <config> --set k=10,20,50 --set seed=0,1,2`: a grid of configs, each point a recorded run.
 * Every point is validated before anything is written or run, and becomes a row of a plan
 * (`<store>/sweeps/<id>/plan.jsonl`: the full validated config and its seed). An engine executes the rows:
 * - `--engine local` (default): child processes on this machine, several at once;
 * - `--engine slurm`: an sbatch array job, task i runs row i.
 * Each row runs through `splam sweep run-point <plan> <index>`, whose only input is the row index, so any
 * scheduler (a Kubernetes Indexed Job with JOB_COMPLETION_INDEX) can run the same plan.
 * `splam sweep status <id>` shows each row's state; `splam sweep resume <id>` runs again the rows without a
 * finished run (an interrupted run continues from its checkpoint).
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ArgumentError, ConfigError, type ConfigIssue } from '../errors.js';
import type { PlanRow } from '../experiments/sweep.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

interface SweepFlags {
  set?: string[];
  engine?: string;
  parallel?: string;
  partition?: string;
  cpusPerTask?: string;
  time?: string;
  gres?: string;
  maxParallel?: string;
  name?: string;
  store?: string;
  metrics?: string;
  dryRun: boolean;
  json: boolean;
}

const SLURM_FLAGS = [
  ['partition', '--partition'],
  ['cpusPerTask', '--cpus-per-task'],
  ['time', '--time'],
  ['gres', '--gres'],
  ['maxParallel', '--max-parallel'],
] as const;

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

/** The engine and its flags. @throws ArgumentError (one line) on an unknown engine or a flag of the other engine. */
async function parseEngine(opts: SweepFlags) {
  const { ENGINES } = await import('../scale/plan.js');
  const engine = (opts.engine ?? 'local') as (typeof ENGINES)[number];
  if (!ENGINES.includes(engine)) throw new ArgumentError('splam sweep', '--engine', opts.engine, ENGINES.join(' or '));
  if (engine === 'local') {
    const given = SLURM_FLAGS.find(([k]) => opts[k] !== undefined);
    if (given) throw new ArgumentError('splam sweep', given[1], opts[given[0]], 'only with --engine slurm');
    return { engine, slurm: undefined };
  }
  if (opts.parallel !== undefined) throw new ArgumentError('splam sweep', '--parallel', opts.parallel, 'only with --engine local (Slurm: --max-parallel)');
  const { parseSlurmFlags } = await import('../scale/slurm.js');
  return { engine, slurm: parseSlurmFlags(opts) };
}

function say(line: string): void {
  // On a terminal the progress bar owns the last line: clear it, print above it; the bar redraws on its next update.
  process.stderr.write(process.stderr.isTTY ? `\r\x1b[2K${line}\n` : `${line}\n`);
}

const BIN = () => fileURLToPath(new URL('../../bin/splam.mjs', import.meta.url));

/**
 * Run plan rows as child processes of this one (`splam sweep run-point`), `parallel` at once; print the table
 * (or JSON) and set the exit status: 0 all finished, 1 some failed (SweepError), 130 interrupted.
 */
async function runLocally(rows: readonly PlanRow[], o: { planFile: string; storeDir: string; sweepId: string; config: string; parallel: number; json: boolean; metrics?: string }) {
  const { countStatuses, formatCounts, formatSweepEvent, formatSweepTable, runSweep, SweepControl, SweepError } = await import('../experiments/sweep-runner.js');
  const { progressReporter } = await import('./progress.js');
  const { childThreadEnv } = await import('../backend/native.js');
  const bin = BIN();
  const width = Math.min(o.parallel, rows.length);
  say(`splam sweep: ${o.sweepId}: ${rows.length} point(s) of ${o.config}, ${width} at once, store ${o.storeDir}`);

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
    results = await runSweep(rows, {
      parallel: width,
      command: (p) => ({
        file: process.execPath,
        args: [bin, 'sweep', 'run-point', `--store=${o.storeDir}`, '--json', o.planFile, String(p.index)],
        env: { ...process.env, ...childThreadEnv(width), SPLAM_STORE: o.storeDir },
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

  if (o.json) {
    process.stdout.write(JSON.stringify({ sweepId: o.sweepId, config: o.config, store: o.storeDir, plan: o.planFile, parallel: width, interrupted: control.stopped, wallMs, points: results }, null, 2) + '\n');
  } else {
    const keys = o.metrics?.split(',').map((s) => s.trim()).filter(Boolean);
    process.stdout.write(`${formatSweepTable(results, keys)}\n\nsweep ${o.sweepId}: ${rows.length} point(s) in ${(wallMs / 1000).toFixed(1)} s (splam runs ls --tag sweep=${o.sweepId}; splam sweep status ${o.sweepId})\n`);
  }
  const counts = countStatuses(results);
  if (control.stopped) {
    say(`splam sweep: interrupted: ${formatCounts(counts)}`);
    process.exitCode = 130;
  } else if (counts.failed > 0) throw new SweepError(o.sweepId, counts);
}

/** The store: --store, else $SPLAM_STORE, else ./store; a folder made absolute, or a postgres:// URL (its artifact folder made absolute). */
async function storeOf(flag: string | undefined): Promise<string> {
  const [{ defaultStoreDir }, { canonicalStore }] = await Promise.all([import('../track/index.js'), import('../track/location.js')]);
  return canonicalStore(flag ?? defaultStoreDir());
}

export function registerSweepCommand(program: Command): void {
  // `sweep` has options of its own and subcommands with options of the same names (--store, --json, --dry-run):
  // positional options make those after `status`/`resume`/`run-point` belong to the subcommand. Commander needs
  // it on every command above too; the root program has no options of its own, so this changes nothing else.
  program.enablePositionalOptions();
  const sweep = program
    .command('sweep')
    .description('run a grid of configs (the cartesian product of --set lists), each point a recorded run, on this machine or on Slurm')
    .argument('<config>', 'path to a JSON config')
    .option(
      '--set <path=v1,v2,…>',
      '[path=JSON list] swept field (repeatable); values split on commas outside [ ], { } and "…", each parsed like --set of splam run: ' +
        '--set k=10,20,50 is 3 values, --set nfe=[2,4] is 1, --set nfe=[2],[4,8] is 2; first --set varies slowest (default: none, one run of the config)',
      collect,
    )
    .option('--engine <engine>', '[local|slurm] who runs the points: child processes here, or a Slurm array job (default: local)')
    .option('--parallel <n>', `[integer ≥ 1] local: points run at once (default: the number of cores, ${availableParallelism()} here, capped at the number of points)`)
    .option('--partition <p>', '[name] slurm: partition (default: the cluster\'s default)')
    .option('--cpus-per-task <n>', '[integer ≥ 1] slurm: CPUs per point, also its OMP_NUM_THREADS (default: 1)')
    .option('--time <t>', '[M | H:M:S | D-H:M:S …] slurm: time limit per point; SIGTERM (checkpoint) shortly before it (default: the partition\'s)')
    .option('--gres <g>', '[name[:type]:count] slurm: generic resources per point, e.g. gpu:1 (default: none)')
    .option('--max-parallel <m>', '[integer ≥ 1] slurm: array tasks at once (--array=…%m) (default: no limit)')
    .option('--name <name>', '[string] run name base; each run is <name>[k=10,seed=0] (default: the config name or file name)')
    .option('--store <dir>', '[dir|url] run store, shared by every point: a folder (holds sweeps/<id>/) or postgres://… (sweeps/<id>/ in its artifact folder) (default: $SPLAM_STORE, else ./store)')
    .option('--metrics <keys>', '[key,key] local: summary metrics shown in the final table (default: the first three)')
    .option('--dry-run', 'validate and list the points; local: run nothing, write nothing; slurm: write the plan and script, submit nothing', false)
    .option('--json', 'print the points (with --dry-run), the results or the submission as JSON', false)
    .enablePositionalOptions()
    .addHelpText(
      'after',
      '\nEvery point is a row of <store>/sweeps/<id>/plan.jsonl and runs as `splam sweep run-point <plan> <row>`, tagged\n' +
        'sweep=<id>, sweep.index=<row> and sweep.point=<k=10,seed=0>. See also: splam sweep status|resume <id>.\n' +
        'Local: Ctrl-C: no new points; the running ones get SIGINT (training stops after its step with a checkpoint);\n' +
        'again: they exit at once; a third time: they are killed.\n' +
        'Slurm: writes job.sbatch beside the plan and submits it with sbatch --parsable --array=0-(n-1)[%m]; prints the job id.\n' +
        'Exit status: 0 all finished (slurm: submitted), 1 some failed, 2 invalid flags or config (nothing written or run), 130 interrupted.',
    )
    .action(async (config: string, opts: SweepFlags) => {
      const { engine, slurm } = await parseEngine(opts);
      const plan = await import('../experiments/sweep.js');
      const [parallel, axes] = allFlags(
        () => parseParallel(opts.parallel),
        () => plan.parseAxes(opts.set ?? []),
      );
      const scale = await import('../scale/slurm.js');
      if (engine === 'slurm' && !opts.dryRun && !scale.hasCommand('sbatch')) {
        throw new scale.SlurmError('sbatch is not on PATH: is this a Slurm login node? (--dry-run writes the plan and the script without submitting)');
      }
      const { validateConfig } = await import('../experiments/runner.js');
      const { readConfigFile } = await import('../config.js');
      const rows = await plan.planSweep(readConfigFile(config), axes, { source: config, name: opts.name, validate: validateConfig });
      const sweepId = rows[0].sweepId;
      if (engine === 'local' && opts.dryRun) {
        if (opts.json) process.stdout.write(JSON.stringify({ sweepId, config, points: rows }, null, 2) + '\n');
        else process.stdout.write(`${rows.length} point(s) of ${config}:\n${rows.map((p) => `  #${p.index} ${p.name}  ${p.overrides.map((o) => `--set ${o}`).join(' ')}`).join('\n')}\n`);
        return;
      }

      const track = await import('../track/index.js');
      const storeDir = await storeOf(opts.store);
      await (await track.openStore(storeDir)).close(); // create it once and fail early, not in every child
      const { createSweep, submitRows } = await import('../scale/sweep.js');
      const created = await createSweep(rows, {
        storeDir,
        engine,
        config,
        sets: opts.set ?? [],
        slurm: slurm && { options: slurm, node: process.execPath, bin: BIN(), cwd: process.cwd() },
      });
      if (engine === 'local') {
        await runLocally(rows, { planFile: created.planFile, storeDir, sweepId, config, parallel, json: opts.json, metrics: opts.metrics });
        return;
      }
      const submission = opts.dryRun ? null : await submitRows(created.dir, created.record, rows.map((r) => r.index), slurm?.maxParallel);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ sweepId, config, engine, store: storeDir, plan: created.planFile, script: created.script, jobId: submission?.jobId ?? null, array: submission?.array ?? null, points: rows.map(({ config: _, ...r }) => r) }, null, 2) + '\n');
      } else {
        const lines = [`sweep ${sweepId}: ${rows.length} point(s) of ${config}`, `  plan   ${created.planFile}`, `  script ${created.script}`];
        if (submission) lines.push(`  job    ${submission.jobId} (sbatch --array=${submission.array})`, '', `splam sweep status ${sweepId}   (logs: ${created.dir}/logs/)`);
        else lines.push('', `dry run: not submitted; submit with: sbatch --array=${scale.arraySpec(rows.map((r) => r.index), slurm?.maxParallel)} ${created.script}`);
        process.stdout.write(lines.join('\n') + '\n');
      }
    });

  sweep
    .command('status')
    .description("each point's state (planned, queued, running, finished, failed, crashed) from the store and, for Slurm sweeps, squeue")
    .argument('<sweep-id>', 'the sweep (splam sweep printed it; folders under <store>/sweeps/)')
    .option('--store <dir>', '[dir|url] run store: a folder or postgres://… (default: $SPLAM_STORE, else ./store)')
    .option('--json', 'print the points as JSON', false)
    .action(async (id: string, opts: { store?: string; json: boolean }) => {
      const { sweepStatus } = await import('../scale/sweep.js');
      const { countStates, formatStates, formatStatusTable } = await import('../scale/status.js');
      const st = await sweepStatus(await storeOf(opts.store), id);
      const counts = countStates(st.points);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ sweepId: id, engine: st.record.engine, config: st.record.config, squeue: st.squeue, counts, submissions: st.record.slurm?.submissions ?? [], points: st.points }, null, 2) + '\n');
        return;
      }
      const jobs = st.record.slurm?.submissions.map((s) => s.jobId).join(', ');
      const head = `sweep ${id} (${st.record.engine}${jobs ? `, job ${jobs}` : ''}) of ${st.record.config}: ${formatStates(counts)}`;
      const note = st.squeue ? `\nnote: ${st.squeue}; queued and running tasks are not shown, only the store's runs` : '';
      process.stdout.write(`${head}\n${formatStatusTable(st.points)}${note}\n`);
    });

  sweep
    .command('resume')
    .description('run again the points without a finished run (not those queued or running): Slurm: one new array job; local: here')
    .argument('<sweep-id>', 'the sweep')
    .option('--store <dir>', '[dir|url] run store: a folder or postgres://… (default: $SPLAM_STORE, else ./store)')
    .option('--parallel <n>', '[integer ≥ 1] local: points at once (default: the number of cores)')
    .option('--max-parallel <m>', '[integer ≥ 1] slurm: array tasks at once (default: the sweep\'s)')
    .option('--dry-run', 'list the points that would run; run or submit nothing', false)
    .option('--json', 'print the result as JSON', false)
    .addHelpText('after', '\nA point whose latest run was interrupted (scancel, SIGTERM, Ctrl-C) or crashed with a checkpoint continues from it.')
    .action(async (id: string, opts: { store?: string; parallel?: string; maxParallel?: string; dryRun: boolean; json: boolean }) => {
      const { sweepStatus, submitRows } = await import('../scale/sweep.js');
      const { rowsToResume } = await import('../scale/status.js');
      const { PLAN_FILE } = await import('../scale/plan.js');
      const storeDir = await storeOf(opts.store);
      const st = await sweepStatus(storeDir, id);
      const slurm = st.record.engine === 'slurm';
      if (slurm && opts.parallel !== undefined) throw new ArgumentError('splam sweep resume', '--parallel', opts.parallel, 'only for local sweeps (Slurm: --max-parallel)');
      if (!slurm && opts.maxParallel !== undefined) throw new ArgumentError('splam sweep resume', '--max-parallel', opts.maxParallel, 'only for Slurm sweeps (local: --parallel)');
      const { parseSlurmFlags } = await import('../scale/slurm.js');
      const maxParallel = opts.maxParallel !== undefined ? parseSlurmFlags({ maxParallel: opts.maxParallel }).maxParallel : (st.record.slurm?.options.maxParallel as number | undefined);
      const parallel = parseParallel(opts.parallel);
      const indices = rowsToResume(st.points);
      const busy = st.points.filter((p) => p.state === 'queued' || p.state === 'running').length;
      const summary = `sweep ${id}: ${indices.length} of ${st.points.length} point(s) to run again${busy ? ` (${busy} queued or running, left alone)` : ''}${indices.length ? `: rows ${indices.join(', ')}` : ''}`;
      if (slurm && st.squeue) say(`splam sweep resume: warning: ${st.squeue}; points queued or running there cannot be seen (run-point skips finished ones)`);
      if (indices.length === 0 || opts.dryRun) {
        if (opts.json) process.stdout.write(JSON.stringify({ sweepId: id, indices, jobId: null }, null, 2) + '\n');
        else process.stdout.write(`${summary}${indices.length === 0 ? '; nothing to do' : ' (dry run)'}\n`);
        return;
      }
      if (slurm) {
        const submission = await submitRows(st.dir, st.record, indices, maxParallel);
        if (opts.json) process.stdout.write(JSON.stringify({ sweepId: id, indices, jobId: submission.jobId, array: submission.array }, null, 2) + '\n');
        else process.stdout.write(`${summary}\n  job ${submission.jobId} (sbatch --array=${submission.array})\n\nsplam sweep status ${id}\n`);
        return;
      }
      say(summary);
      const { join } = await import('node:path');
      await runLocally(
        indices.map((i) => st.rows[i]),
        { planFile: join(st.dir, PLAN_FILE), storeDir, sweepId: id, config: st.record.config, parallel, json: opts.json },
      );
    });

  sweep
    .command('run-point')
    .description('run one row of a sweep plan as a recorded run (what each engine\'s worker runs); the row index is the only input')
    .argument('<plan>', 'the plan file, <store>/sweeps/<id>/plan.jsonl')
    .argument('[index]', 'the row, 0-based (default: $SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX)')
    .option('--store <dir>', '[dir|url] run store: a folder or postgres://… (default: the store folder the plan lives in, else $SPLAM_STORE, else ./store)')
    .option('--json', 'print the result as JSON', false)
    .addHelpText(
      'after',
      '\nIdempotent: a row with a finished run is not run again (exit 0); one whose latest run was interrupted or crashed\n' +
        'with a checkpoint is resumed from it. Exit status as splam run: 0, 1 failed, 2 bad input, 130 stopped with a checkpoint.',
    )
    .action(async (planFile: string, indexArg: string | undefined, opts: { store?: string; json: boolean }) => {
      const text = indexArg ?? process.env.SLURM_ARRAY_TASK_ID ?? process.env.JOB_COMPLETION_INDEX;
      if (text === undefined || !/^\d+$/.test(text)) {
        throw new ArgumentError('splam sweep run-point', 'index', text ?? null, 'a row index ≥ 0 (or SLURM_ARRAY_TASK_ID / JOB_COMPLETION_INDEX set)');
      }
      const { planRow, readPlan, storeOfPlan } = await import('../scale/plan.js');
      const row = planRow(readPlan(planFile), Number(text), planFile);
      const storeDir = opts.store ? await storeOf(opts.store) : (storeOfPlan(planFile) ?? (await storeOf(undefined)));
      const { runPoint } = await import('../scale/run-point.js');
      const { progressReporter } = await import('./progress.js');
      const { describeBackend } = await import('../backend.js');
      const progress = progressReporter(`splam sweep run-point #${row.index}`);
      try {
        const result = await runPoint(row, {
          storeDir,
          onProgress: progress.update,
          onStart: (id, backend) => process.stderr.write(`run ${id} started on backend ${describeBackend(backend)} (row ${row.index} ${row.label} of ${row.sweepId})\n`),
        });
        progress.stop();
        if (result.skipped) process.stderr.write(`${result.report}\n`);
        if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else process.stdout.write(`${result.report}\n\nrow ${row.index}: run ${result.runId} ${result.stopped ? 'interrupted (splam sweep resume continues it)' : result.skipped ? 'already finished' : 'finished'}\n`);
        if (result.stopped) process.exitCode = 130;
      } finally {
        progress.stop();
      }
    });
}
