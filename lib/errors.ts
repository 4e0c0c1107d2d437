/**
 * The project's error classes. Errors are data first (zod's lesson): each carries the typed fields a caller
 * needs to react (`fn`, `arg`, `value`, `allowed`, `path`, …) and builds its message from them, so a message
 * can never disagree with its fields. {@link formatError} renders any of them for people.
 */

/** Render a value for an error message: short, unambiguous, never throwing. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) {
    const head = value.slice(0, 6).map(show).join(', ');
    return `[${head}${value.length > 6 ? `, … (${value.length} items)` : ''}]`;
  }
  try {
    const s = JSON.stringify(value);
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Base class: every splam-lab error has a stable `code` for programmatic handling. */
export abstract class SplamError extends Error {
  abstract readonly code: string;
}

/**
 * A function argument outside its allowed domain: unknown schedule name, γ ∉ [0, 1], t out of range, k that does
 * not match the grid, a non-positive variance or weight. `fn` is the public function that rejected it.
 */
export class ArgumentError extends SplamError {
  readonly code = 'invalid_argument';
  constructor(
    readonly fn: string,
    readonly arg: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${fn}: argument ${arg} = ${show(value)} is not allowed; expected ${allowed}`);
    this.name = 'ArgumentError';
  }
}

/** A tensor with the wrong rank or shape. Shapes are given as arrays of axis sizes. */
export class ShapeError extends SplamError {
  readonly code = 'invalid_shape';
  constructor(
    readonly fn: string,
    readonly arg: string,
    readonly expected: string,
    readonly got: readonly number[],
  ) {
    super(`${fn}: ${arg} has shape [${got.join(', ')}]; expected ${expected}`);
    this.name = 'ShapeError';
  }
}

/** One problem in a config file or CLI input, addressed by its path (`train.k`, `teacher.components[1].weight`). */
export interface ConfigIssue {
  path: string;
  value: unknown;
  message: string;
  allowed?: string;
}

/** A config or CLI input that failed validation. Holds every issue found, not just the first. */
export class ConfigError extends SplamError {
  readonly code = 'invalid_config';
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `invalid ${source}:\n` +
        issues
          .map(
            (i) =>
              `  - ${i.path || '(root)'}: ${i.message} (got ${show(i.value)}${i.allowed ? `; allowed: ${i.allowed}` : ''})`,
          )
          .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** The tensor backend could not be loaded or configured. */
export class BackendError extends SplamError {
  readonly code = 'backend_unavailable';
  constructor(
    readonly backend: string,
    readonly reason: string,
    readonly hint?: string,
  ) {
    super(`backend ${show(backend)} is unavailable: ${reason}${hint ? `\n  hint: ${hint}` : ''}`);
    this.name = 'BackendError';
  }
}

/** The run store refused or failed an operation. `runId`/`file` locate the problem; `cause` keeps the original. */
export class StoreError extends SplamError {
  readonly code: string;
  constructor(
    code: string,
    message: string,
    readonly details: { runId?: string; file?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.name = 'StoreError';
  }
}

/** Format any error for a terminal: splam errors without a stack, others with their message. */
export function formatError(err: unknown): string {
  if (err instanceof SplamError) return `${err.name}: ${err.message}`;
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

/** The first line of an error's message (or of its string form): what a list of skipped alternatives shows. */
export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}
