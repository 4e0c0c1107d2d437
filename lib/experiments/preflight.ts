/**
 * Checks that run before a run is recorded: a config that passed its schema can still name an
 * experiment or a run the store refuses, or point at a checkpoint that is not there. Each is a {@link ConfigError}
 * naming the field, the value and what is allowed, thrown before the store is opened (so nothing is created or
 * written), instead of a failed run recorded after the work began.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { isName, isRunName, NAME_ALLOWED, RUN_NAME_ALLOWED } from '../track/index.js';
import type { ExperimentKind } from './kind.js';

/** Config keys whose string value is a file the run reads. */
const INPUT_FILE_KEYS = new Set(['checkpoint', 'init', 'autoencoder', 'teacher', 'classifier']);
/** Values of those keys that are keywords, not files (distill's `student.init`: `teacher` or `scratch`). */
const KEYWORDS: Readonly<Record<string, readonly string[]>> = { init: ['teacher', 'scratch'] };
/** Keys whose value is a file the run writes (not checked: it may not exist yet). */
const OUTPUT_FILE_KEYS = new Set(['export']);

/** A file a config reads: its path in the config (`teacher.checkpoint`, `students[0].checkpoint`) and the file. */
export interface InputFile {
  field: string;
  file: string;
}

/**
 * The files a validated config reads, found generically: every string under a key named `checkpoint`, `init`,
 * `autoencoder`, `teacher` or `classifier` (keywords such as init = "scratch" aside), and every other string
 * ending in `.ckpt`, except under `export` (an output).
 */
export function inputFilesOf(config: unknown): InputFile[] {
  const out: InputFile[] = [];
  const stack: { value: unknown; field: string; key: string | null }[] = [{ value: config, field: '', key: null }];
  while (stack.length > 0) {
    const { value, field, key } = stack.pop()!;
    if (typeof value === 'string') {
      if (key === null || OUTPUT_FILE_KEYS.has(key)) continue;
      const named = INPUT_FILE_KEYS.has(key) && !(KEYWORDS[key] ?? []).includes(value);
      if (named || value.endsWith('.ckpt')) out.push({ field, file: value });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], field: `${field}[${i}]`, key });
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i];
        stack.push({ value: v, field: field ? `${field}.${k}` : k, key: k });
      }
    }
  }
  return out;
}

/** Why `file` cannot be read as an input, or null when it is a readable file. */
function fileProblem(file: string): string | null {
  try {
    if (!statSync(file).isFile()) return `${path.resolve(file)} is a folder, not a file`;
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `no file at ${path.resolve(file)}` : `cannot read ${path.resolve(file)} (${code ?? String(err)})`;
  }
}

export interface PreflightOptions {
  /** The run name and where it came from: `--name` (the flag) or `name` (the config). */
  name: string;
  nameFrom: '--name' | 'name';
}

/**
 * Check what the store and the kind will need before anything is written: the experiment name, the run name and
 * every input file of the config.
 * @throws ConfigError listing every problem, each naming the field, the value and what is allowed.
 */
export function preflight(kind: ExperimentKind, config: unknown, source: string, opts: PreflightOptions): void {
  const issues: ConfigIssue[] = [];
  const experiment = kind.experimentOf(config);
  if (!isName(experiment)) issues.push({ path: 'experiment', value: experiment, message: 'not an allowed experiment name', allowed: NAME_ALLOWED });
  if (!isRunName(opts.name)) issues.push({ path: opts.nameFrom, value: opts.name, message: 'not an allowed run name', allowed: RUN_NAME_ALLOWED });
  for (const { field, file } of kind.inputFiles ? kind.inputFiles(config) : inputFilesOf(config)) {
    const problem = fileProblem(file);
    if (problem !== null) issues.push({ path: field, value: file, message: problem, allowed: 'an existing file (a checkpoint written by an exporting run, e.g. models/*.ckpt)' });
  }
  if (issues.length > 0) throw new ConfigError(source, issues);
}
