/**
 * Config validation at the edge: run a zod schema and turn its issues into one {@link ConfigError} that lists
 * every problem with its path, the value found and what is allowed.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.js';

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function pathString(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

function allowedOf(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_value':
      return issue.values.map((v) => JSON.stringify(v)).join(', ');
    case 'invalid_type':
      return issue.expected;
    case 'too_small':
      return `${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}`;
    case 'too_big':
      return `${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}`;
    case 'unrecognized_keys':
      return 'no other keys (check the spelling)';
    case 'invalid_union':
      return 'one of the documented variants';
    default:
      return undefined;
  }
}

/**
 * Validate `data` against `schema`.
 * @param source what is being validated, for the message (a file path, "CLI option --set", …).
 * @throws ConfigError with every issue found.
 */
export function parseConfig<S extends z.ZodType>(schema: S, data: unknown, source: string): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issues: ConfigIssue[] = r.error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
    return {
      path: pathString(path),
      value: issue.code === 'unrecognized_keys' ? issue.keys : valueAt(data, issue.path),
      message: issue.message,
      allowed: allowedOf(issue),
    };
  });
  throw new ConfigError(source, issues);
}

/** How deeply a config may nest objects and arrays (the deepest real config is about 6; recursion stays far off). */
export const MAX_CONFIG_DEPTH = 64;

/**
 * The path of the first value nested deeper than `maxDepth` objects/arrays, or null. Iterative, so a hostile
 * document (100,000 levels) cannot overflow the stack that the later recursive steps (clone, schema) would.
 */
export function tooDeepAt(value: unknown, maxDepth = MAX_CONFIG_DEPTH): string | null {
  const stack: { v: unknown; depth: number; at: string }[] = [{ v: value, depth: 0, at: '' }];
  while (stack.length > 0) {
    const { v, depth, at } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return at;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, depth: depth + 1, at: `${at}[${i}]` }));
    else for (const [k, x] of Object.entries(v)) stack.push({ v: x, depth: depth + 1, at: at ? `${at}.${k}` : k });
  }
  return null;
}

/** @throws ConfigError naming `source` and the path (shortened) where `value` nests too deeply. */
export function checkConfigDepth(value: unknown, source: string, prefix = ''): void {
  const at = tooDeepAt(value);
  if (at === null) return;
  const full = prefix + at;
  const shown = full.length > 80 ? `${full.slice(0, 77)}...` : full;
  throw new ConfigError(source, [{ path: shown, value: '(nested value)', message: `nested deeper than ${MAX_CONFIG_DEPTH} levels`, allowed: `at most ${MAX_CONFIG_DEPTH} levels of objects and arrays` }]);
}

/** Read a JSON config file whose top level is an object. @throws ConfigError for unreadable files, bad JSON and absurd nesting. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', value: file, message: `cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('the top level must be an object');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', value: text.slice(0, 40), message: `not a JSON object: ${(err as Error).message}` }]);
  }
  checkConfigDepth(data, file);
  return data as Record<string, unknown>;
}
