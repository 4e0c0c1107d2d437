/**
 * `--set path=value` overrides on a config object (values parsed as JSON when they parse, else kept as strings):
 * `--set datasets[0].mixture.dim=16 --set seed=3 --set solvers='["ddim"]'`.
 */
import { checkConfigDepth } from '../config.js';
import { ConfigError } from '../errors.js';

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_-]*)((?:\[\d+\])*)$/;
/** Keys that reach an object's prototype instead of a field: never a config field. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Split `a.b[2].c` into keys and indices. @throws ConfigError on a malformed path or a prototype key. */
export function parsePath(path: string, source = '--set'): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = SEGMENT.exec(part);
    if (!m) throw new ConfigError(source, [{ path, value: path, message: `malformed path segment ${JSON.stringify(part)}`, allowed: 'key(.key)* with optional [index] suffixes, e.g. datasets[0].mixture.dim' }]);
    if (RESERVED_KEYS.has(m[1])) throw new ConfigError(source, [{ path, value: path, message: `${JSON.stringify(m[1])} is not a config field`, allowed: `config field names (not ${[...RESERVED_KEYS].join(', ')})` }]);
    out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** Parse a value: JSON if it parses (numbers, booleans, arrays, objects, quoted strings), else the raw string. */
export function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Apply `path=value` assignments to a deep copy of `config`. @throws ConfigError for a missing `=` or a bad path. */
export function applyOverrides<T>(config: T, assignments: readonly string[]): T {
  const copy = structuredClone(config) as unknown;
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ConfigError('--set', [{ path: a, value: a, message: 'expected path=value', allowed: 'e.g. --set seed=3' }]);
    const keys = parsePath(a.slice(0, eq));
    let node = copy as Record<string | number, unknown>;
    for (let i = 0; i < keys.length - 1; i++) {
      const k = keys[i];
      if (node[k] === undefined || node[k] === null || typeof node[k] !== 'object') node[k] = typeof keys[i + 1] === 'number' ? [] : {};
      node = node[k] as Record<string | number, unknown>;
    }
    const value = parseValue(a.slice(eq + 1));
    checkConfigDepth(value, '--set', `${a.slice(0, eq)}`);
    node[keys[keys.length - 1]] = value;
  }
  return copy as T;
}
