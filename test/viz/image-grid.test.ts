import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { imageGridPixels, imageGridPng } from '../../lib/viz/image-grid.js';
import { ArgumentError, ShapeError } from '../../lib/errors.js';

// Three 2×2 grey images with values −1, 0, 1 (black, mid-grey, white in [−1, 1]).
const imgs = new Float32Array([-1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1]);

test('tiles land at their grid positions, scaled by nearest neighbour, with the gutter in the background colour', () => {
  const g = imageGridPixels(imgs, [3, 2, 2, 1], { cols: 2, scale: 3, pad: 1, background: 200 });
  // 2 columns of 6 px + 3 gutters = 15 wide; 2 rows of 6 + 3 = 15 high.
  assert.equal(g.width, 15);
  assert.equal(g.height, 15);
  const at = (x: number, y: number) => g.data[y * g.width + x];
  assert.equal(at(0, 0), 200, 'gutter');
  assert.equal(at(1, 1), 0, 'tile 0 (−1 → 0)');
  assert.equal(at(6, 6), 0, 'tile 0, last pixel');
  assert.equal(at(7, 1), 200, 'gutter between columns');
  assert.equal(at(8, 1), 128, 'tile 1 (0 → 128)');
  assert.equal(at(1, 8), 255, 'tile 2 (1 → 255), second row');
  assert.equal(at(8, 8), 200, 'no tile 3: background');
});

test('values outside the range are clipped and NaN is black', () => {
  const g = imageGridPixels(new Float32Array([5, -5, NaN, 0.5]), [1, 2, 2, 1], { scale: 1, pad: 0 });
  assert.deepEqual([...g.data], [255, 0, 0, 191]);
});

test('the PNG decodes to the same pixels', async () => {
  const png = await imageGridPng(imgs, [3, 2, 2, 1], { cols: 3, scale: 2, pad: 2 });
  assert.equal((await sharp(png).metadata()).channels, 1, 'a grey PNG');
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const g = imageGridPixels(imgs, [3, 2, 2, 1], { cols: 3, scale: 2, pad: 2 });
  assert.equal(info.width, g.width);
  assert.deepEqual([...data], [...g.data]);
});

test('bad input: wrong length, channels, cols, range', () => {
  assert.throws(() => imageGridPixels(imgs, [4, 2, 2, 1]), ShapeError);
  assert.throws(() => imageGridPixels(imgs, [1, 2, 3, 2]), (e: unknown) => e instanceof ArgumentError && e.arg === 'shape[3]');
  assert.throws(() => imageGridPixels(imgs, [3, 2, 2, 1], { cols: 0 }), (e: unknown) => e instanceof ArgumentError && e.arg === 'cols');
  assert.throws(() => imageGridPixels(imgs, [3, 2, 2, 1], { range: [1, 1] }), (e: unknown) => e instanceof ArgumentError && e.arg === 'range');
});
