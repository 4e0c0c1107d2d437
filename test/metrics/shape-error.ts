/** Assert that fn throws a ShapeError whose fields match (the ShapeError twin of test/helpers.ts' assertArgumentError). */
import assert from 'node:assert/strict';
import { ShapeError } from '../../lib/errors.js';

export function assertShapeError(fn: () => unknown, fields: { fn?: string; arg?: string; got?: number[] }): ShapeError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ShapeError, `expected ShapeError, got ${caught instanceof Error ? caught.name + ': ' + caught.message : String(caught)}`);
  const e = caught as ShapeError;
  if (fields.fn !== undefined) assert.equal(e.fn, fields.fn);
  if (fields.arg !== undefined) assert.equal(e.arg, fields.arg);
  if (fields.got !== undefined) assert.deepEqual([...e.got], fields.got);
  assert.ok(e.message.includes(e.arg), 'message names the argument');
  assert.ok(e.expected.length > 0, 'error says what is expected');
  return e;
}
