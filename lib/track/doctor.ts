/**
 * `doctor`: check a store against its per-run files and, with `repair`, rebuild the index from them.
 *
 * The per-run `run.json` files are the source of truth; the index is a cache of them. Doctor holds the store
 * lock throughout (so it never sees a half-made change), then:
 *   - reads the index: ok, missing, or corrupt (a corrupt index is moved to `index.json.corrupt-<time>` before
 *     a new one is written: it is never overwritten or deleted);
 *   - reads every `runs/<id>/run.json` (a missing or bad one is restored from the index's copy when there is one);
 *   - checks each series file's last byte (a torn last line) and, with `deep`, parses every line;
 *   - finds `running` runs whose process is gone or heartbeat is stale, and persists them as `crashed` with
 *     `endedAt` = last heartbeat and the summary completed from their series;
 *   - removes temp files left by killed writers (also inside artifact folders and under `sweeps/`, where a temp
 *     file counts only once its writer's pid is gone) and folders of half-deleted runs;
 *   - a run folder without a readable run.json that the index cannot restore: removes it when it holds nothing
 *     but its heartbeat and empty files (a start killed, or a disk that filled, before run.json was written),
 *     else moves it to `quarantine/<id>-<time>` so nothing is lost and the store reads clean again;
 *   - rewrites the index from the run records when anything differs.
 */
import { openSync, closeSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { StoreError } from '../errors.js';
import { AtomicJsonFile } from './adapter.js';
import { TEMP_FILE_PATTERN, tempFileWriter } from './atomic.js';
import { endsWithNewline, latestByKey, readSeriesFile } from './metrics-log.js';
import { RUN_ID_PATTERN, TRASH_PREFIX, type StorePaths } from './paths.js';
import { decodeRecord, encodeRecord, recordShapeProblem } from './record.js';
import { emptyIndex, type IndexData, type RunIndex } from './run-index.js';
import { crashReason, type LivenessProbe } from './status.js';
import type { DoctorIssue, DoctorReport, RunRecord } from './types.js';

/** Issues that a rebuild of the index fixes. */
const INDEX_CODES = new Set<DoctorIssue['code']>(['corrupt_index', 'missing_index', 'missing_from_index', 'orphan_index_entry', 'stale_index_entry', 'stale_running', 'bad_run_record']);

/** Issues that `repair` fixes; the others (foreign entries, torn or bad metric lines) are only reported. */
export const REPAIRABLE = new Set<DoctorIssue['code']>([...INDEX_CODES, 'stray_temp', 'trash', 'aborted_start', 'orphan_run_folder']);

/**
 * Sweep folders (`sweeps/<sweep-id>/`: plan.jsonl, sweep.json, job.sbatch, logs/), written by lib/scale/plan.ts
 * with the store's atomic writer outside the store lock. Doctor reads nothing there but temp files.
 */
const SWEEPS_DIR = 'sweeps';

/** Where doctor moves run folders it cannot rebuild a record for (inside the store, beside `runs/`). */
export const QUARANTINE_DIR = 'quarantine';

/** Files a start writes before run.json; a folder holding only these (empty, or the heartbeat) never started. */
const START_FILES = new Set(['heartbeat', 'metrics.jsonl', 'artifacts']);

/** Whether a run folder holds nothing but its heartbeat and empty start files (no points, no artifacts). */
async function neverStarted(folder: string): Promise<boolean> {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (!START_FILES.has(entry.name) && !TEMP_FILE_PATTERN.test(entry.name)) return false;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      if ((await readdir(full)).length > 0) return false;
    } else if (entry.name !== 'heartbeat' && !TEMP_FILE_PATTERN.test(entry.name) && (await stat(full)).size > 0) {
      return false;
    }
  }
  return true;
}

/** Temp files anywhere under `dir` (artifact names may nest folders). */
async function tempFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return out;
    throw err;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await tempFilesUnder(full)));
    else if (TEMP_FILE_PATTERN.test(e.name)) out.push(full);
  }
  return out;
}

/** Whether a report lists anything that `repair` would fix. */
export function needsRepair(report: DoctorReport): boolean {
  return report.issues.some((i) => REPAIRABLE.has(i.code));
}

export interface DoctorOptions {
  /** Make repairs (default false: report only). */
  repair?: boolean;
  /** Parse every series line, not just check the last byte (reads all metric files). */
  deep?: boolean;
  probe: LivenessProbe;
}

/** The run.json adapter: pretty-printed, corrupt → `corrupt_run`. */
export function runFile(file: string, id: string): AtomicJsonFile<RunRecord> {
  return new AtomicJsonFile<RunRecord>(file, {
    check: (v) => recordShapeProblem(v, id),
    corruptCode: 'corrupt_run',
    hint: 'run `splam runs doctor` (it restores run.json from the index when the index still has the run)',
    indent: 2,
    serialise: encodeRecord,
    revive: decodeRecord,
  });
}

function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[:.]/g, '-');
}

function sameRecord(a: RunRecord, b: RunRecord): boolean {
  return JSON.stringify(encodeRecord(a)) === JSON.stringify(encodeRecord(b));
}

async function tornTail(file: string): Promise<boolean> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false; // no series yet
  }
  try {
    return !endsWithNewline(fd);
  } finally {
    closeSync(fd);
  }
}

export async function runDoctor(paths: StorePaths, index: RunIndex, opts: DoctorOptions): Promise<DoctorReport> {
  const repair = opts.repair ?? false;
  return index.locked(async () => {
    const issues: DoctorIssue[] = [];
    let backup: string | null = null;
    let repaired = false;

    // 1. The index.
    let indexData: IndexData | null = null;
    let indexState: DoctorReport['index'] = 'ok';
    try {
      indexData = await index.readOrNull();
      if (indexData === null) {
        indexState = 'missing';
        issues.push({ code: 'missing_index', file: paths.index, message: `${paths.index} does not exist` });
      }
    } catch (err) {
      if ((err as StoreError).code !== 'corrupt_index') throw err;
      indexState = 'corrupt';
      issues.push({ code: 'corrupt_index', file: paths.index, message: (err as Error).message.split('\n')[0] });
    }
    const indexed = indexData?.runs ?? {};

    // 2. Stray temp files at the top level (only ever written under the lock we hold).
    const strays: string[] = [];
    const unlockedTemps: string[] = [];
    for (const name of await readdir(paths.root)) {
      if (TEMP_FILE_PATTERN.test(name)) strays.push(path.join(paths.root, name));
    }

    // 3. Every run folder.
    const records = new Map<string, RunRecord>();
    const rewrite = new Map<string, RunRecord>(); // run.json files to (re)write
    const aborted: string[] = []; // folders of starts that never wrote run.json
    const orphans: { id: string; folder: string }[] = []; // folders with data but no record
    let entries: import('node:fs').Dirent[] = [];
    try {
      entries = await readdir(paths.runs, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const full = path.join(paths.runs, entry.name);
      if (entry.name.startsWith(TRASH_PREFIX)) {
        issues.push({ code: 'trash', file: full, message: `half-deleted run folder ${entry.name}` });
        if (repair) await rm(full, { recursive: true, force: true });
        continue;
      }
      if (!entry.isDirectory() || !RUN_ID_PATTERN.test(entry.name)) {
        issues.push({ code: 'foreign_entry', file: full, message: `${entry.name} is not a run folder (left alone)` });
        continue;
      }
      const id = entry.name;
      for (const name of await readdir(full)) {
        if (TEMP_FILE_PATTERN.test(name)) strays.push(path.join(full, name));
      }
      unlockedTemps.push(...(await tempFilesUnder(paths.artifactsDir(id))));
      let rec: RunRecord | null = null;
      let problem = `run ${id} has no run.json`;
      try {
        rec = await runFile(paths.runFile(id), id).read();
      } catch (err) {
        problem = (err as Error).message.split('\n')[0];
      }
      if (rec === null) {
        if (Object.hasOwn(indexed, id)) {
          issues.push({ code: 'bad_run_record', runId: id, file: paths.runFile(id), message: problem });
          rec = indexed[id];
          rewrite.set(id, rec); // restore run.json from the index's copy
        } else {
          // Nothing to rebuild a record from: drop the folder if it holds nothing, else set it aside.
          if (await neverStarted(full)) {
            issues.push({ code: 'aborted_start', runId: id, file: full, message: `run folder ${id} holds only its heartbeat: its start was interrupted before run.json was written (removed on repair)` });
            aborted.push(full);
          } else {
            issues.push({ code: 'orphan_run_folder', runId: id, file: full, message: `run folder ${id} has data but no usable run.json (${problem}) and no copy in the index (moved to ${QUARANTINE_DIR}/ on repair)` });
            orphans.push({ id, folder: full });
          }
          continue;
        }
      }

      const metricsFile = paths.metricsFile(id);
      if (opts.deep) {
        const read = await readSeriesFile(metricsFile);
        if (read.torn) issues.push({ code: 'torn_metrics', runId: id, file: metricsFile, message: `the last line of ${metricsFile} is a partial write (skipped on read)` });
        if (read.badLines.length) {
          issues.push({ code: 'bad_metric_lines', runId: id, file: metricsFile, message: `lines ${read.badLines.slice(0, 10).join(', ')}${read.badLines.length > 10 ? ', …' : ''} of ${metricsFile} are not metric points (skipped on read)` });
        }
      } else if (await tornTail(metricsFile)) {
        issues.push({ code: 'torn_metrics', runId: id, file: metricsFile, message: `the last line of ${metricsFile} is a partial write (skipped on read)` });
      }

      const reason = crashReason(rec, opts.probe);
      if (reason !== null) {
        const beat = Math.max(rec.heartbeatAt, opts.probe.heartbeatOf(id) ?? 0);
        issues.push({
          code: 'stale_running',
          runId: id,
          message: `run ${id} is recorded as running but ${reason === 'process_gone' ? `its process ${rec.pid} on ${rec.host} is gone` : `its last heartbeat was ${new Date(beat).toISOString()}`}`,
        });
        const latest = latestByKey((await readSeriesFile(metricsFile)).points);
        const summary = { ...Object.fromEntries([...latest].map(([k, p]) => [k, p.value])), ...rec.summary };
        rec = { ...rec, status: 'crashed', endedAt: beat, heartbeatAt: beat, summary };
        rewrite.set(id, rec);
      }
      records.set(id, rec);

      if (indexData !== null) {
        if (!Object.hasOwn(indexed, id)) issues.push({ code: 'missing_from_index', runId: id, message: `run ${id} is not in the index` });
        else if (!rewrite.has(id) && !sameRecord(indexed[id], rec)) {
          issues.push({ code: 'stale_index_entry', runId: id, message: `the index's copy of run ${id} differs from its run.json` });
        }
      }
    }
    if (indexData !== null) {
      const folders = new Set(entries.map((e) => e.name));
      for (const id of Object.keys(indexed)) {
        if (!folders.has(id)) issues.push({ code: 'orphan_index_entry', runId: id, message: `the index lists run ${id} but its folder is gone` });
      }
    }
    // Artifacts and sweep files are written outside the store lock, so a temp file there may be a write in
    // progress: its name holds its writer's pid, and only those of dead writers are strays. (The other temp files
    // are written under the lock we hold: any left is a stray.)
    unlockedTemps.push(...(await tempFilesUnder(path.join(paths.root, SWEEPS_DIR))));
    for (const file of unlockedTemps) {
      const pid = tempFileWriter(path.basename(file));
      if (pid === null || !opts.probe.isAlive(pid, null)) strays.push(file);
    }
    for (const file of strays) issues.push({ code: 'stray_temp', file, message: `temp file left by an interrupted write: ${path.basename(file)}` });

    // 4. Repairs.
    const actions: string[] = [];
    if (repair) {
      const trash = issues.filter((i) => i.code === 'trash').length;
      if (trash) actions.push(`removed ${trash} half-deleted run folder(s)`);
      for (const file of strays) await rm(file, { force: true });
      if (strays.length) actions.push(`removed ${strays.length} temp file(s) left by interrupted writes`);
      for (const folder of aborted) await rm(folder, { recursive: true, force: true });
      if (aborted.length) actions.push(`removed ${aborted.length} run folder(s) of runs that never started`);
      if (orphans.length) {
        const quarantine = path.join(paths.root, QUARANTINE_DIR);
        await mkdir(quarantine, { recursive: true });
        for (const o of orphans) await rename(o.folder, path.join(quarantine, `${o.id}-${stamp(opts.probe.now)}`));
        actions.push(`moved ${orphans.length} run folder(s) without a record to ${quarantine}`);
      }
      for (const [id, rec] of rewrite) await runFile(paths.runFile(id), id).write(rec);
      const crashed = issues.filter((i) => i.code === 'stale_running').length;
      if (crashed) actions.push(`recorded ${crashed} run(s) as crashed`);
      const restored = rewrite.size - crashed;
      if (restored > 0) actions.push(`restored ${restored} run.json file(s) from the index`);
      if (issues.some((i) => INDEX_CODES.has(i.code))) {
        if (indexState === 'corrupt') {
          backup = `${paths.index}.corrupt-${stamp(opts.probe.now)}`;
          await rename(paths.index, backup);
          actions.push(`moved the corrupt index to ${backup}`);
        }
        const data = emptyIndex();
        for (const [id, rec] of records) data.runs[id] = rec;
        await index.writeUnlocked(data);
        actions.push(`rebuilt the index from ${records.size} run folder(s)`);
      }
      repaired = actions.length > 0;
    }
    return { store: paths.root, runs: records.size, index: indexState, issues, repaired, actions, backup };
  });
}

/** Whether a folder holds run folders (used to tell a fresh store from one that lost its index). */
export async function hasRunFolders(paths: StorePaths): Promise<boolean> {
  try {
    const entries = await readdir(paths.runs, { withFileTypes: true });
    return entries.some((e) => e.isDirectory() && RUN_ID_PATTERN.test(e.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
