/**
 * Sample grids for image models, made with sharp: N images [N, H, W, C] (NHWC, as the model
 * produces them) → one PNG of `rows × cols` tiles with a `pad`-pixel gutter, each tile enlarged `scale`× by
 * nearest neighbour (no blur on 28×28 samples).
 */
import sharp from 'sharp';
import { ArgumentError, ShapeError } from '../errors.js';

export interface ImageGridOptions {
  /** Tiles per row. Default ⌈√N⌉. */
  cols?: number;
  /** Nearest-neighbour enlargement per tile. Default 2. */
  scale?: number;
  /** Gutter between tiles in output pixels. Default 2. */
  pad?: number;
  /** The value range mapped to 0–255 (clipped). Default [−1, 1], the data scaling of the image tier. */
  range?: [number, number];
  /** Gutter grey level 0–255. Default 255 (white). */
  background?: number;
}

/** The grid as 8-bit pixels (row-major, C channels): the part that {@link imageGridPng} encodes, and tests check. */
export function imageGridPixels(
  images: Float32Array | number[],
  shape: readonly [number, number, number, number],
  opts: ImageGridOptions = {},
): { data: Uint8Array; width: number; height: number; channels: number } {
  const FN = 'imageGrid';
  const [n, h, w, c] = shape;
  if (![n, h, w, c].every((v) => Number.isInteger(v) && v > 0)) throw new ArgumentError(FN, 'shape', shape, '[N, H, W, C] positive integers');
  if (c !== 1 && c !== 3) throw new ArgumentError(FN, 'shape[3]', c, '1 (grey) or 3 (RGB) channels');
  if (images.length !== n * h * w * c) throw new ShapeError(FN, 'images', `[${n * h * w * c}] values for shape [${shape.join(', ')}]`, [images.length]);
  const cols = opts.cols ?? Math.ceil(Math.sqrt(n));
  const scale = opts.scale ?? 2;
  const pad = opts.pad ?? 2;
  const [lo, hi] = opts.range ?? [-1, 1];
  const bg = opts.background ?? 255;
  if (!Number.isInteger(cols) || cols < 1) throw new ArgumentError(FN, 'cols', cols, 'an integer ≥ 1');
  if (!Number.isInteger(scale) || scale < 1 || scale > 32) throw new ArgumentError(FN, 'scale', scale, 'an integer in [1, 32]');
  if (!Number.isInteger(pad) || pad < 0) throw new ArgumentError(FN, 'pad', pad, 'an integer ≥ 0');
  if (!(hi > lo)) throw new ArgumentError(FN, 'range', [lo, hi], '[lo, hi] with hi > lo');
  const rows = Math.ceil(n / cols);
  const tw = w * scale;
  const th = h * scale;
  const width = cols * tw + (cols + 1) * pad;
  const height = rows * th + (rows + 1) * pad;
  const data = new Uint8Array(width * height * c).fill(bg);
  for (let k = 0; k < n; k++) {
    const x0 = pad + (k % cols) * (tw + pad);
    const y0 = pad + Math.floor(k / cols) * (th + pad);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const src = ((k * h + Math.floor(y / scale)) * w + Math.floor(x / scale)) * c;
        const dst = ((y0 + y) * width + x0 + x) * c;
        for (let ch = 0; ch < c; ch++) {
          const v = Number(images[src + ch]);
          const g = Number.isFinite(v) ? Math.round(((v - lo) / (hi - lo)) * 255) : 0;
          data[dst + ch] = Math.min(255, Math.max(0, g));
        }
      }
    }
  }
  return { data, width, height, channels: c };
}

/** The grid as PNG bytes (grey for C = 1). */
export async function imageGridPng(
  images: Float32Array | number[],
  shape: readonly [number, number, number, number],
  opts: ImageGridOptions = {},
): Promise<Buffer> {
  const { data, width, height, channels } = imageGridPixels(images, shape, opts);
  const img = sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: channels as 1 | 3 } });
  return (channels === 1 ? img.toColourspace('b-w') : img).png().toBuffer();
}
