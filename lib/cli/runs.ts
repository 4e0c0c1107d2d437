/**
 * `splam runs ls | show | compare | export | rm | doctor`. Each command maps its flags to the run
 * store's typed query or options, lazily imports lib/track and calls it; `--json` prints machine-readable
 * output instead of a table. Bad flag values fail with a ConfigError naming the flag (exit 2); store problems
 * (unknown run, corrupt index) with a StoreError (exit 1).
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ArgumentError, ConfigError, type ConfigIssue } from '../errors.js';
import type { NamedQueryFlags } from '../track/fields.js';
import type { RunQuery, RunStatus, RunStore } from '../track/types.js';

const STORE_HELP = '[dir] run store folder (default: $SPLAM_STORE, else ./store)';
const STATUSES: readonly RunStatus[] = ['running', 'finished', 'failed', 'crashed'];
/** Rows of the `runs ls` table when no --limit is given. */
const TABLE_ROWS = 50;

interface StoreFlags {
  store?: string;
  json?: boolean;
}

interface QueryFlags extends StoreFlags {
  experiment?: string[];
  status?: string[];
  tag?: string[];
  filter?: string;
  orderBy?: string;
  limit?: string;
}

function addStoreOptions(cmd: Command): Command {
  return cmd.option('--store <dir>', STORE_HELP).option('--json', 'print JSON instead of a table');
}

function addQueryOptions(cmd: Command): Command {
  return cmd
    .option('-e, --experiment <name...>', '[string...] only runs of these experiments')
    .option('-s, --status <status...>', `[${STATUSES.join('|')}...] only runs with these statuses`)
    .option('-t, --tag <key=value...>', '[key=value...] only runs with these tags')
    .option('-f, --filter <expr>', `[string] MLflow-style filter, e.g. "params.k = 20 and metrics.fid < 10" (OR, NOT, () allowed)`)
    .option('-o, --order-by <spec>', '[string] e.g. "metrics.fid ASC, attributes.created DESC" (default: newest first)')
    .option('-n, --limit <n>', '[integer] at most this many runs; 0 for all (default: all; tables of ls show 50)');
}

/** Flags → RunQuery, collecting every bad flag into one ConfigError. */
function toQuery(flags: QueryFlags, command: string): RunQuery {
  const issues: ConfigIssue[] = [];
  const query: RunQuery = {};
  if (flags.experiment?.length) query.experiment = flags.experiment;
  if (flags.status?.length) {
    const bad = flags.status.filter((s) => !(STATUSES as readonly string[]).includes(s));
    if (bad.length) issues.push({ path: '--status', value: bad.length === 1 ? bad[0] : bad, message: 'unknown status', allowed: STATUSES.join(', ') });
    else query.status = flags.status as RunStatus[];
  }
  if (flags.tag?.length) {
    const tags: [string, string][] = [];
    for (const t of flags.tag) {
      const eq = t.indexOf('=');
      if (eq <= 0) issues.push({ path: '--tag', value: t, message: 'expected key=value', allowed: 'key=value' });
      else tags.push([t.slice(0, eq), t.slice(eq + 1)]);
    }
    query.tags = Object.fromEntries(tags);
  }
  if (flags.filter !== undefined) query.filter = flags.filter;
  if (flags.orderBy !== undefined) query.orderBy = flags.orderBy;
  if (flags.limit !== undefined) {
    const n = Number(flags.limit);
    if (!/^\d+$/.test(flags.limit) || !Number.isSafeInteger(n)) issues.push({ path: '--limit', value: flags.limit, message: 'not a whole number', allowed: 'an integer ≥ 0' });
    else if (n > 0) query.limit = n;
  }
  if (issues.length) throw new ConfigError(`options of splam runs ${command}`, issues);
  return query;
}

/**
 * `--out <file>` must name a file in an existing folder: checked before any work, a ConfigError naming the path.
 * (Permission and disk problems surface when writing, as one-line system errors.)
 */
function checkOutFile(out: string, command: string): void {
  const bad = (message: string) => new ConfigError(`options of splam runs ${command}`, [{ path: '--out', value: out, message, allowed: 'a file path in an existing folder' }]);
  if (out === '') throw bad('empty path');
  const target = resolve(out);
  let st;
  try {
    st = statSync(target);
  } catch {
    st = null; // a new file: its folder must exist
  }
  if (st?.isDirectory()) throw bad(`${target} is a folder`);
  try {
    if (!statSync(dirname(target)).isDirectory()) throw bad(`${dirname(target)} is not a folder`);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw bad(`the folder ${dirname(target)} does not exist`);
  }
}

function commaList(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function printJson(value: unknown): void {
  // Non-finite numbers become their names (JSON has none): a diverged loss stays visible.
  print(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2));
}

/** A filter, order-by or column naming a field that no run has is a typo: exit 2 with the closest names. */
async function checkNames(store: RunStore, flags: NamedQueryFlags): Promise<void> {
  const fields = await import('../track/fields.js');
  if (fields.namesFields(flags)) fields.checkQueryFlags(await store.listRuns(), flags);
}

/** `compare --metric` found no points: a key that none of the runs logged is a typo (exit 2, closest keys). */
async function checkMetric(store: RunStore, ids: readonly string[], key: string): Promise<void> {
  const keys = (await Promise.all(ids.map((id) => store.readMetrics(id)))).flat().map((s) => s.key);
  if (keys.length === 0) return; // no run has logged anything yet: "(no points)" says it
  const summary = (await Promise.all(ids.map((id) => store.getRun(id)))).flatMap((r) => Object.keys(r.summary));
  throw (await import('../track/fields.js')).unknownMetricError(key, ids.length, keys, summary);
}

async function open(flags: StoreFlags) {
  const track = await import('../track/index.js');
  return { track, store: await track.openStore(flags.store ?? track.defaultStoreDir(), { create: false }) };
}

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('list, inspect, compare, export and repair recorded runs');

  addQueryOptions(addStoreOptions(runs.command('ls').description('list runs as a table (newest first)')))
    .option('-m, --metrics <keys>', '[key,key] summary metrics to show as columns')
    .option('-p, --params <keys>', '[key,key] params (dotted paths) to show as columns')
    .action(async (flags: QueryFlags & { metrics?: string; params?: string }) => {
      const query = toQuery(flags, 'ls');
      const { store } = await open(flags);
      await checkNames(store, flags);
      const list = await store.listRuns(query);
      if (flags.json) return printJson(list);
      const { formatRunsTable } = await import('../track/format.js');
      // A table of thousands of runs helps no one: without --limit show the first 50 and say so.
      const shown = flags.limit === undefined ? list.slice(0, TABLE_ROWS) : list;
      print(formatRunsTable(shown, { metrics: commaList(flags.metrics), params: commaList(flags.params), total: list.length }));
    });

  addStoreOptions(runs.command('show').description('show one run: attributes, provenance, params, metrics, artifacts'))
    .argument('<id>', 'run id')
    .option('--series', 'with --json: include every metric point')
    .action(async (id: string, flags: StoreFlags & { series?: boolean }) => {
      const { store } = await open(flags);
      const rec = await store.getRun(id);
      const series = await store.readMetrics(id);
      if (flags.json) return printJson(flags.series ? { ...rec, series } : rec);
      const { formatRunDetails } = await import('../track/format.js');
      print(formatRunDetails(rec, series));
    });

  addStoreOptions(runs.command('compare').description('compare runs: one metric by step (--metric), else summaries and params'))
    .argument('<ids...>', 'two or more run ids')
    .option('-k, --metric <key>', '[string] metric to align by step')
    .option('-r, --rows <n>', '[integer] steps to show in the table (default: 20)', '20')
    .option('-P, --prefix <prefix>', '[string] without --metric: only summary metrics whose key starts with this, e.g. student/steps4/')
    .action(async (ids: string[], flags: StoreFlags & { metric?: string; rows: string; prefix?: string }) => {
      const rows = Number(flags.rows);
      if (!/^\d+$/.test(flags.rows) || rows < 2) {
        throw new ConfigError('options of splam runs compare', [{ path: '--rows', value: flags.rows, message: 'not a whole number ≥ 2', allowed: 'an integer ≥ 2' }]);
      }
      if (flags.prefix !== undefined && flags.metric !== undefined) {
        throw new ConfigError('options of splam runs compare', [{ path: '--prefix', value: flags.prefix, message: 'applies to the summary comparison only', allowed: '--prefix or --metric, not both' }]);
      }
      const { track, store } = await open(flags);
      const fmt = await import('../track/format.js');
      if (flags.metric !== undefined) {
        const cmp = await store.compare(ids, flags.metric);
        if (cmp.steps.length === 0) await checkMetric(store, ids, flags.metric);
        return flags.json ? printJson(cmp) : print(fmt.formatComparison(cmp, rows));
      }
      const recs = await Promise.all(ids.map((id) => store.getRun(id)));
      const diff = track.paramsDiff(recs);
      if (flags.prefix !== undefined) (await import('../track/fields.js')).checkMetricPrefix(recs, flags.prefix);
      if (flags.json) return printJson({ runs: recs, paramsDiff: diff });
      print(fmt.formatSummaryComparison(recs, diff, { prefix: flags.prefix }));
    });

  addQueryOptions(
    runs
      .command('export')
      .description('export runs as CSV (one row per run) or JSON; --series adds every metric point; --format store copies them into another store')
      .argument('[destination]', '[dir|url] with --format store: the store to copy the runs into, a folder or postgres://… (created when missing)')
      .option('--store <dir>', STORE_HELP),
  )
    .option('--format <format>', '[csv|json|store] output format; store: copy the runs (records, series, artifacts) into <destination>, verified equal (default: csv)', 'csv')
    .option('--series', 'include metric series (CSV becomes long format: run_id,key,step,value,time)')
    .option('--out <file>', '[path] write to this file instead of stdout')
    .option('--json', 'with --format store: print the copy report as JSON')
    .action(async (destination: string | undefined, flags: QueryFlags & { format: string; series?: boolean; out?: string }) => {
      const query = toQuery(flags, 'export');
      if (flags.format !== 'csv' && flags.format !== 'json' && flags.format !== 'store') {
        throw new ConfigError('options of splam runs export', [{ path: '--format', value: flags.format, message: 'unknown format', allowed: 'csv, json, store' }]);
      }
      if (flags.format === 'store') {
        // One line each (ArgumentError, exit 2): the flag and its value.
        const misfit = flags.out !== undefined ? ['--out', flags.out] : flags.series ? ['--series', true] : destination === undefined ? ['destination', null] : null;
        if (misfit) throw new ArgumentError('splam runs export', misfit[0] as string, misfit[1], `splam runs export --format store <dir|url>${misfit[0] === 'destination' ? ' (the destination is missing)' : ` without ${misfit[0]} (series and artifacts are always copied)`}`);
        const { copyBetween } = await import('./transfer.js');
        const { defaultStoreDir } = await import('../track/index.js');
        return copyBetween(flags.store ?? defaultStoreDir(), destination!, query, { command: 'export', json: flags.json });
      }
      if (destination !== undefined) throw new ArgumentError('splam runs export', 'destination', destination, 'a destination only with --format store (csv/json: --out <file>)');
      if (flags.out !== undefined) checkOutFile(flags.out, 'export');
      const { store } = await open(flags);
      await checkNames(store, flags);
      const text = await store.exportRuns(query, { format: flags.format, series: flags.series });
      if (flags.out) {
        // Atomic: a failed write (a full disk) leaves the old file or none, never half an export.
        const { writeFileAtomic } = await import('../track/atomic.js');
        await writeFileAtomic(flags.out, text);
        process.stderr.write(`wrote ${flags.out}\n`);
      } else {
        print(text);
      }
    });

  addQueryOptions(
    addStoreOptions(
      runs.command('import').description('copy ended runs (records, series, artifacts) from another store into this one, verified equal; live runs and equal copies are skipped'),
    ).argument('<source>', '[dir|url] the store to copy from: a folder or postgres://…'),
  ).action(async (source: string, flags: QueryFlags) => {
    const query = toQuery(flags, 'import');
    const { copyBetween } = await import('./transfer.js');
    const { defaultStoreDir } = await import('../track/index.js');
    await copyBetween(source, flags.store ?? defaultStoreDir(), query, { command: 'import', json: flags.json });
  });

  addStoreOptions(runs.command('rm').description('delete runs and their files'))
    .argument('<ids...>', 'run ids')
    .option('--force', 'also delete runs that are still running')
    .action(async (ids: string[], flags: StoreFlags & { force?: boolean }) => {
      const { store } = await open(flags);
      for (const id of ids) await store.getRun(id); // all exist before any is deleted
      for (const id of ids) {
        await store.deleteRun(id, { force: flags.force });
        if (!flags.json) print(`deleted ${id}`);
      }
      if (flags.json) printJson({ deleted: ids });
    });

  addStoreOptions(runs.command('doctor').description('check the store; rebuild the index from the run folders and record crashed runs'))
    .option('--dry-run', 'report only, change nothing')
    .option('--deep', 'also parse every metric line (reads all series files)')
    .action(async (flags: StoreFlags & { dryRun?: boolean; deep?: boolean }) => {
      const track = await import('../track/index.js');
      const report = await track.doctorStore(flags.store ?? track.defaultStoreDir(), { repair: !flags.dryRun, deep: flags.deep });
      const repairable = track.needsRepair(report);
      if (flags.json) printJson(report);
      else print((await import('../track/format.js')).formatDoctorReport(report, !!flags.dryRun, repairable));
      if (flags.dryRun && repairable) {
        const { StoreError } = await import('../errors.js');
        throw new StoreError('store_unhealthy', `the store at ${report.store} needs repair (see above)`, { file: report.store });
      }
    });
}
