/** Checks that a figure is plain JSON data. */
import assert from 'node:assert/strict';

/**
 * Assert that a value is plain JSON: only null, booleans, finite numbers, strings, arrays and plain objects, no
 * undefined fields and no functions; and that a JSON round-trip gives back an equal value.
 */
export function assertPlainJson(value: unknown, path = 'fig'): void {
  const walk = (v: unknown, at: string): void => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') return assert.ok(Number.isFinite(v), `${at} is a non-finite number ${v}`);
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}[${i}]`));
    assert.ok(typeof v === 'object', `${at} is ${typeof v}, not JSON`);
    assert.equal(Object.getPrototypeOf(v), Object.prototype, `${at} is not a plain object`);
    for (const [k, x] of Object.entries(v as object)) walk(x, `${at}.${k}`);
  };
  walk(value, path);
  assert.deepEqual(JSON.parse(JSON.stringify(value)), value);
}
