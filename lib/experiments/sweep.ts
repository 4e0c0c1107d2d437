/**
 * `splam sweep`: the pure parts. Parse `--set path=v1,v2,…` into axes, expand their cartesian product into
 * points, and validate every point's full config before any run starts.
 *
 * The list rule: the right-hand side of `--set` is split on top-level commas only, that is commas outside
 * `[ ]`, `{ }` and double-quoted strings. Each piece is then parsed like a single `--set` value (JSON when it
 * parses, else the raw string; {@link parseValue}). So `--set nfe=[2,4]` is ONE value (the array [2, 4]),
 * `--set nfe=[2],[4,8]` is two, `--set seed=0,1,2` is three and `--set 'name="a,b"'` is the one string "a,b".
 * An empty piece (`k=1,,2`), an unbalanced bracket or quote, a repeated value and a path given twice are errors.
 */
import { basename } from 'node:path';
import { ConfigError, show, type ConfigIssue } from '../errors.js';
import { applyOverrides, parsePath, parseValue } from './overrides.js';
import { preflight } from './preflight.js';
import type { ExperimentKind } from './kind.js';

/** One swept config field: its path (as written after `--set`) and the values it takes, in the order given. */
export interface SweepAxis {
  path: string;
  values: unknown[];
}

/** One grid point: a value for every axis. */
export interface SweepPoint {
  /** Position in the expansion order, 0-based. */
  index: number;
  /** Axis path → value, in axis order. */
  values: Record<string, unknown>;
  /** The point as `--set` assignments (`path=<JSON>`), ready for {@link applyOverrides} or a child's command line. */
  overrides: string[];
  /** The varying axes (those with more than one value) for people: `{k: 10, seed: 0}`. */
  label: string;
  /** The same, compact, for run names and tags: `k=10,seed=0` (empty when nothing varies). */
  key: string;
}

/** A point with its run name ({@link pointName}). */
export type NamedPoint = SweepPoint & { name: string };

/**
 * One row of a sweep plan: a point with its run name, its full validated config and its seed. A row is all a
 * worker needs to run the point (`splam sweep run-point <plan> <index>`): the local pool, a Slurm array task
 * (SLURM_ARRAY_TASK_ID) and a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) all execute the same rows.
 */
export interface PlanRow extends NamedPoint {
  /** The sweep this row belongs to (its runs are tagged `sweep=<id>`). */
  sweepId: string;
  /** The config file the sweep was planned from (recorded as the run's `config` tag). */
  source: string;
  /** Experiment kind (`distill`, `teacher`, …). */
  kind: string;
  /** The seed the run records (the kind's seedOf of the config). */
  seed: number;
  /** The point's config as validated (defaults filled in); validating it again gives the same config. */
  config: Record<string, unknown>;
}

/** What {@link validatePoints} calls for each point: `validateConfig` of runner.ts (injected, so this module stays free of tfjs). */
export type ValidateFn = (raw: Record<string, unknown>, source: string) => Promise<{ kind: ExperimentKind; config: unknown }>;

/**
 * Split `rhs` on commas outside brackets, braces and double quotes (backslash escapes inside quotes).
 * @returns the pieces, or null when a bracket, brace or quote is unbalanced.
 */
export function splitTopLevel(rhs: string): string[] | null {
  const out: string[] = [];
  const stack: string[] = [];
  let inString = false;
  let start = 0;
  for (let i = 0; i < rhs.length; i++) {
    const c = rhs[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') stack.push(c === '[' ? ']' : '}');
    else if (c === ']' || c === '}') {
      if (stack.pop() !== c) return null;
    } else if (c === ',' && stack.length === 0) {
      out.push(rhs.slice(start, i));
      start = i + 1;
    }
  }
  if (inString || stack.length > 0) return null;
  out.push(rhs.slice(start));
  return out;
}

/**
 * Parse repeated `--set path=v1,v2,…` flags into axes (list rule: see the module comment).
 * @throws ConfigError listing every bad flag: missing `=`, malformed path, empty piece, unbalanced brackets or
 *   quotes, repeated value, path given twice.
 */
export function parseAxes(sets: readonly string[]): SweepAxis[] {
  const issues: ConfigIssue[] = [];
  const axes: SweepAxis[] = [];
  const seen = new Set<string>();
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) {
      issues.push({ path: set, value: set, message: 'expected path=value or path=v1,v2,…', allowed: 'e.g. --set seed=0,1,2' });
      continue;
    }
    const path = set.slice(0, eq);
    try {
      parsePath(path);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
      continue;
    }
    if (seen.has(path)) {
      issues.push({ path, value: set, message: 'path given twice', allowed: 'each path once, with all its values: --set k=10,20' });
      continue;
    }
    seen.add(path);
    const rhs = set.slice(eq + 1);
    const pieces = splitTopLevel(rhs);
    if (pieces === null) {
      issues.push({ path, value: rhs, message: 'unbalanced [ ], { } or "', allowed: 'values split on commas outside brackets, braces and quotes; quote a string that has them: "a[b"' });
      continue;
    }
    if (pieces.some((p) => p.trim() === '')) {
      issues.push({ path, value: rhs, message: 'empty value in the list', allowed: 'v1,v2,… with no empty items' });
      continue;
    }
    const values = pieces.map(parseValue);
    const texts = values.map((v) => JSON.stringify(v));
    const dup = texts.find((t, i) => texts.indexOf(t) !== i);
    if (dup !== undefined) {
      issues.push({ path, value: rhs, message: `value ${dup} given twice`, allowed: 'distinct values' });
      continue;
    }
    axes.push({ path, values });
  }
  if (issues.length) throw new ConfigError('--set', issues);
  return axes;
}

/** A value in a compact key: strings as they are, anything else as JSON (`solver=ddim`, `nfe=[2,4]`). */
function compact(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The cartesian product of the axes, first axis slowest (like nested loops in axis order). No axes give one
 * point: the config as it is.
 */
export function expandGrid(axes: readonly SweepAxis[]): SweepPoint[] {
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  const varying = axes.filter((a) => a.values.length > 1);
  const points: SweepPoint[] = [];
  for (let index = 0; index < total; index++) {
    const values: Record<string, unknown> = {};
    let rest = index;
    for (let a = axes.length - 1; a >= 0; a--) {
      const n = axes[a].values.length;
      values[axes[a].path] = axes[a].values[rest % n];
      rest = Math.floor(rest / n);
    }
    const ordered = Object.fromEntries(axes.map((a) => [a.path, values[a.path]]));
    points.push({
      index,
      values: ordered,
      overrides: axes.map((a) => `${a.path}=${JSON.stringify(ordered[a.path])}`),
      label: `{${varying.map((a) => `${a.path}: ${show(ordered[a.path])}`).join(', ')}}`,
      key: varying.map((a) => `${a.path}=${compact(ordered[a.path])}`).join(','),
    });
  }
  return points;
}

/** Longest run name the store takes. */
const MAX_NAME = 250;

/** A point's run name: `<base>[k=10,seed=0]`, `<base>[#3]` when that is too long, `<base>` when nothing varies. */
export function pointName(base: string, point: SweepPoint): string {
  if (point.key === '') return base;
  const name = `${base}[${point.key}]`;
  return name.length <= MAX_NAME ? name : `${base.slice(0, MAX_NAME - 12)}[#${point.index}]`;
}

/** A fresh sweep id, `sweep-<UTC yyyymmdd-hhmmss>-<4 hex>`: sortable by start time, unique enough per store. */
export function newSweepId(now: Date = new Date(), rand: number = Math.floor(Math.random() * 0x10000)): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `sweep-${t}-${rand.toString(16).padStart(4, '0')}`;
}

/** The run name base of a sweep: `--name`, else the config's `name`, else the file's base name without `.json`. */
function nameBase(raw: Record<string, unknown>, source: string, name: string | undefined): string {
  return name ?? (typeof raw.name === 'string' ? raw.name : basename(source).replace(/\.json$/, ''));
}

/**
 * Validate every point's full config (`raw` with the point's overrides applied) before anything runs, then run
 * the preflight of preflight.ts on it (experiment name, the point's run name, every input file such as a
 * checkpoint), as `splam run` does, so a point that would fail at its start fails the whole sweep before any starts.
 * @param name the `--name` flag (run name base), when given.
 * @returns each point's kind and validated config, in point order.
 * An issue shared by several points is reported once, naming them (`points {k: 10}; {k: 20}` or `every point`).
 * @throws ConfigError with every issue of every point; each message starts with the point(s).
 */
export async function validatePoints(
  raw: Record<string, unknown>,
  points: readonly SweepPoint[],
  source: string,
  validate: ValidateFn,
  name?: string,
): Promise<{ kind: ExperimentKind; config: unknown }[]> {
  const byIssue = new Map<string, { issue: ConfigIssue; labels: string[] }>();
  const valid: { kind: ExperimentKind; config: unknown }[] = [];
  const base = nameBase(raw, source, name);
  for (const point of points) {
    try {
      const v = await validate(applyOverrides(raw, point.overrides), source);
      preflight(v.kind, v.config, source, { name: pointName(base, point), nameFrom: name !== undefined ? '--name' : 'name' });
      valid.push(v);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const issue of err.issues) {
        const id = JSON.stringify([issue.path, issue.message, issue.allowed ?? '', show(issue.value)]);
        const entry = byIssue.get(id) ?? { issue, labels: [] };
        entry.labels.push(point.label);
        byIssue.set(id, entry);
      }
    }
  }
  if (byIssue.size === 0) return valid;
  const issues = [...byIssue.values()].map(({ issue, labels }) => {
    const where = labels.length === points.length && points.length > 1 ? `every point` : `point${labels.length > 1 ? 's' : ''} ${labels.join('; ')}`;
    return { ...issue, message: `${where}: ${issue.message}` };
  });
  throw new ConfigError(`${source} (sweep of ${points.length} point${points.length === 1 ? '' : 's'})`, issues);
}

/**
 * Everything before the first run, for every engine: expand the axes, validate every point against `raw` (the
 * config file's contents), name each point's run `<name>[k=10,seed=0]` and return the plan rows.
 * @param opts.name run name base; default the config's `name`, else the file's base name without `.json`.
 * @param opts.sweepId recorded in each row; default a fresh {@link newSweepId}.
 * @throws ConfigError from {@link validatePoints}
 */
export async function planSweep(
  raw: Record<string, unknown>,
  axes: readonly SweepAxis[],
  opts: { source: string; name?: string; validate: ValidateFn; sweepId?: string },
): Promise<PlanRow[]> {
  const grid = expandGrid(axes);
  const valid = await validatePoints(raw, grid, opts.source, opts.validate, opts.name);
  const base = nameBase(raw, opts.source, opts.name);
  const sweepId = opts.sweepId ?? newSweepId();
  return grid.map((p, i) => {
    const { kind, config } = valid[i];
    return { ...p, name: pointName(base, p), sweepId, source: opts.source, kind: kind.kind, seed: kind.seedOf(config), config: config as Record<string, unknown> };
  });
}
