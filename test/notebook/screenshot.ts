/** The checks on a JupyterLab screenshot (lib/notebook/jupyterlab-check.ts), shared by the notebook tests. */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';

/** `file` is a PNG of the size the report says, at least a figure's size and at most 150 kB. */
export function assertSmallPng(file: string, shot: { width: number; height: number; bytes: number }): void {
  const buf = readFileSync(file);
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file}: not a PNG`);
  assert.equal(statSync(file).size, shot.bytes, file);
  assert.deepEqual([buf.readUInt32BE(16), buf.readUInt32BE(20)], [shot.width, shot.height], `${file}: IHDR size`);
  assert.ok(shot.width >= 300 && shot.height >= 200 && shot.width <= 1600 && shot.height <= 1400, `${file}: ${shot.width}×${shot.height} px`);
  assert.ok(shot.bytes > 2_000 && shot.bytes <= 150_000, `${file}: ${shot.bytes} bytes (at most 150 kB)`);
}
