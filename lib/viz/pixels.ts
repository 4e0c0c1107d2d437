/**
 * Is an image blank? The pixel statistics behind the "no blank plots" check: a rendered figure whose
 * pixels barely vary (a white page, an empty axis frame) is not a plot.
 */
import sharp from 'sharp';

export interface PixelStats {
  width: number;
  height: number;
  /** Mean over pixels of the grey level (0–255). */
  mean: number;
  /** Variance over pixels of the grey level (0–255 scale). */
  variance: number;
  /** Fraction of pixels that differ from the most common grey level by more than 8 (ink coverage). */
  inked: number;
}

/** Grey-level statistics of a PNG/JPEG/WebP image (decoded by sharp, alpha flattened on white). */
export async function pixelStats(image: Uint8Array): Promise<PixelStats> {
  const { data, info } = await sharp(image).flatten({ background: '#ffffff' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const hist = new Float64Array(256);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    hist[data[i]]++;
    sum += data[i];
  }
  const mean = sum / n;
  let sq = 0;
  for (let v = 0; v < 256; v++) sq += hist[v] * (v - mean) ** 2;
  let mode = 0;
  for (let v = 1; v < 256; v++) if (hist[v] > hist[mode]) mode = v;
  let inked = 0;
  for (let v = 0; v < 256; v++) if (Math.abs(v - mode) > 8) inked += hist[v];
  return { width: info.width, height: info.height, mean, variance: sq / n, inked: inked / n };
}

/**
 * Thresholds of {@link isBlank}: a flat image (a white page: variance 0, ink 0). Pixel statistics alone cannot
 * tell an empty axis frame from a plot (measured: an 800×500 empty frame has variance 106 and 1.2 % ink, a line
 * plot 91 and 2.3 %); {@link dataInk} in png.ts answers that by rendering the figure without its traces.
 */
export const BLANK_LIMITS = { variance: 1, inked: 0.002 };

/** True when the image is (nearly) one flat colour: variance or ink below {@link BLANK_LIMITS}. */
export function isBlank(s: PixelStats, limits = BLANK_LIMITS): boolean {
  return s.variance < limits.variance || s.inked < limits.inked;
}

/** Fraction of pixels whose grey level differs by more than `tol` between two images of the same size. */
export async function pixelDifference(a: Uint8Array, b: Uint8Array, tol = 16): Promise<number> {
  const grey = (img: Uint8Array) => sharp(img).flatten({ background: '#ffffff' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  const [x, y] = await Promise.all([grey(a), grey(b)]);
  if (x.info.width !== y.info.width || x.info.height !== y.info.height) {
    throw new Error(`pixelDifference: sizes differ (${x.info.width}×${x.info.height} vs ${y.info.width}×${y.info.height})`);
  }
  let d = 0;
  for (let i = 0; i < x.data.length; i++) if (Math.abs(x.data[i] - y.data[i]) > tol) d++;
  return d / x.data.length;
}

/**
 * The same image as a palette PNG (≤ 256 colours, zlib level 9): a plotly figure has few colours besides its
 * anti-aliased edges, so this is visually the same at about a third of the bytes (measured on notebook 03's
 * figures: 107 → 37 kB, 61 → 24 kB). What notebooks embed, so that executed copies stay small.
 */
export async function compactPng(png: Uint8Array): Promise<Buffer> {
  return sharp(png).png({ palette: true, compressionLevel: 9, effort: 7 }).toBuffer();
}
