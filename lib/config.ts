/**
 * Config validation at the edge: run a zod schema and turn its issues into one {@link ConfigError} that lists
 * every problem with its path, the value found and what is allowed (STYLE.md §6–7).
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

/** Read a JSON config file whose top level is an object. @throws ConfigError for unreadable files and bad JSON. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', value: file, message: `cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  try {
    const data = JSON.parse(text) as unknown;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('the top level must be an object');
    return data as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(file, [{ path: '', value: text.slice(0, 40), message: `not a JSON object: ${(err as Error).message}` }]);
  }
}
