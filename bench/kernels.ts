/**
 * Stock tfjs-backend-wasm 4.22 against splam-lab's replacement kernels (lib/backend/wasm-kernels.ts).
 *
 * Each side runs in its own child process (stock: the wasm backend as shipped; patched: after
 * `registerWasmKernels()`), one after the other, so both see the same idle machine. Prints a table and writes
 * bench/results/kernels.json with machine info. Times are medians over repeated calls after one warm-up call;
 * GFLOP/s counts the useful multiply-adds (2 per MAC), not the extra work of any reformulation.
 *
 * Usage: `npm run bench:kernels` (about a minute on 2 cores).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

type Side = 'stock' | 'patched';

/** One measured case on one side. */
interface Measurement {
  id: string;
  /** Useful floating-point operations per call (null where not meaningful, e.g. a training step). */
  flops: number | null;
  /** Median ms per call; null when the kernel does not exist on this side. */
  ms: number | null;
  /** Fastest call, ms (less sensitive to other load on the machine than the median). */
  minMs: number | null;
  reps: number;
  error?: string;
}

interface ChildReport {
  side: Side;
  backend: string;
  tfjsVersion: string;
  wasmVersion: string;
  simd: boolean;
  threads: number;
  patchedKernels: string[];
  measurements: Measurement[];
}

const MARK = '@@kernels-bench@@';
const MIN_TOTAL_MS = 600;
const MAX_REPS = 15;

/** Median ms per call of `fn` after one warm-up call; at least 2 calls, more until MIN_TOTAL_MS has passed. */
function timeIt(fn: () => void): { ms: number; minMs: number; reps: number } {
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 2 || (times.length < MAX_REPS && performance.now() - start < MIN_TOTAL_MS)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], minMs: times[0], reps: times.length };
}

/** Run a tensor computation and wait for its values (wasm kernels are synchronous; this also frees it). */
const sync = (f: () => tf.Tensor) => () => {
  const t = f();
  t.dataSync();
  t.dispose();
};

function cases(): { id: string; flops: number | null; run: () => void }[] {
  const list: { id: string; flops: number | null; run: () => void }[] = [];
  for (const n of [512, 1024]) {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const a = tf.randomNormal([n, n]);
      const b = tf.randomNormal([n, n]);
      list.push({
        id: `matMul ${n}×${n}·${n}×${n} ${ta ? 'Aᵀ' : 'A'}${tb ? 'Bᵀ' : 'B'}`,
        flops: 2 * n ** 3,
        run: sync(() => tf.matMul(a, b, ta, tb)),
      });
    }
  }
  {
    const [bt, m, k, n] = [32, 128, 64, 128];
    const a = tf.randomNormal([bt, m, k]);
    const b = tf.randomNormal([bt, k, n]);
    list.push({ id: `batched matMul [${bt},${m},${k}]·[${bt},${k},${n}]`, flops: 2 * bt * m * k * n, run: sync(() => tf.matMul(a, b)) });
  }
  // U-Net-like layer: batch 32, 28×28, 32 → 64 channels, 3×3, 'same'.
  const [B, H, W, Ci, Co, K] = [32, 28, 28, 32, 64, 3];
  const x = tf.randomNormal([B, H, W, Ci]) as tf.Tensor4D;
  const filter = tf.randomNormal([K, K, Ci, Co]) as tf.Tensor4D;
  for (const s of [1, 2]) {
    const oh = H / s;
    const ow = W / s;
    const dy = tf.randomNormal([B, oh, ow, Co]) as tf.Tensor4D;
    const macs = B * oh * ow * K * K * Ci * Co;
    const shape = `[${B},${H},${W},${Ci}]→${Co} 3×3 s${s}`;
    list.push({ id: `conv2d forward ${shape}`, flops: 2 * macs, run: sync(() => tf.conv2d(x, filter, s, 'same')) });
    list.push({
      id: `Conv2DBackpropInput ${shape}`,
      flops: 2 * macs,
      run: sync(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
        strides: [s, s], pad: 'same', dataFormat: 'NHWC', inputShape: [B, H, W, Ci],
      }) as tf.Tensor),
    });
    list.push({
      id: `Conv2DBackpropFilter ${shape}`,
      flops: 2 * macs,
      run: sync(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: [s, s], pad: 'same', dataFormat: 'NHWC', filterShape: [K, K, Ci, Co],
      }) as tf.Tensor),
    });
  }
  list.push({ id: 'MLP Adam step: 66 → 4×256 (SiLU) → 2, batch 1024', flops: null, run: mlpStep() });
  return list;
}

/** One tf.train.adam step of a 4-hidden-layer MLP (2-D data + 64-d time embedding in, 2 out), batch 1024. */
function mlpStep(): () => void {
  const dims = [66, 256, 256, 256, 256, 2];
  const layers = dims.slice(0, -1).map((d, i) => ({
    w: tf.variable(tf.mul(tf.randomNormal([d, dims[i + 1]]), Math.sqrt(1 / d))),
    b: tf.variable(tf.zeros([dims[i + 1]])),
  }));
  const x = tf.randomNormal([1024, 66]);
  const y = tf.randomNormal([1024, 2]);
  const opt = tf.train.adam(1e-3);
  const loss = () => {
    let h: tf.Tensor = x;
    layers.forEach(({ w, b }, i) => {
      h = tf.add(tf.matMul(h, w), b);
      if (i < layers.length - 1) h = tf.mul(h, tf.sigmoid(h));
    });
    return tf.mean(tf.square(tf.sub(h, y))) as tf.Scalar;
  };
  return () => {
    const l = opt.minimize(loss, true) as tf.Scalar;
    l.dataSync();
    l.dispose();
  };
}

async function child(side: Side): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  let patchedKernels: string[] = [];
  if (side === 'patched') {
    const { registerWasmKernels } = await import('../lib/backend/wasm-kernels.js');
    patchedKernels = registerWasmKernels();
  }
  await tf.setBackend('wasm');
  await tf.ready();
  const measurements: Measurement[] = [];
  for (const c of cases()) {
    try {
      measurements.push({ id: c.id, flops: c.flops, ...timeIt(c.run) });
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      measurements.push({ id: c.id, flops: c.flops, ms: null, minMs: null, reps: 0, error: msg });
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const report: ChildReport = {
    side,
    backend: tf.getBackend(),
    tfjsVersion: tf.version_core,
    wasmVersion: wasm.version_wasm,
    simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean,
    threads: wasm.getThreadsCount(),
    patchedKernels,
    measurements,
  };
  process.stdout.write(`${MARK}${JSON.stringify(report)}\n`);
}

function runChild(side: Side): ChildReport {
  const self = fileURLToPath(import.meta.url);
  process.stderr.write(`${side}: `);
  const res = spawnSync(process.execPath, ['--import', 'tsx', self, `--child=${side}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = res.stdout.split('\n').find((l) => l.startsWith(MARK));
  if (res.status !== 0 || !line) throw new Error(`${side} benchmark failed (exit ${res.status}):\n${res.stdout}`);
  return JSON.parse(line.slice(MARK.length)) as ChildReport;
}

const fmt = (v: number | null, digits: number) => (v === null ? 'n/a' : v.toFixed(digits));
const gflops = (m: Measurement) => (m.ms === null || m.flops === null ? null : m.flops / m.ms / 1e6);

async function main(): Promise<void> {
  const t0 = performance.now();
  const stock = runChild('stock');
  const patched = runChild('patched');
  const rows = stock.measurements.map((s, i) => {
    const p = patched.measurements[i];
    return {
      case: s.id,
      flops: s.flops,
      stock: { ms: s.ms, minMs: s.minMs, gflops: gflops(s), reps: s.reps, ...(s.error ? { error: s.error } : {}) },
      patched: { ms: p.ms, minMs: p.minMs, gflops: gflops(p), reps: p.reps, ...(p.error ? { error: p.error } : {}) },
      speedup: s.ms !== null && p.ms !== null ? s.ms / p.ms : null,
    };
  });
  const header = ['case', 'stock ms', 'stock GFLOP/s', 'patched ms', 'patched GFLOP/s', 'speed-up'];
  const table = rows.map((r) => [
    r.case,
    r.stock.ms === null ? 'n/a (not registered)' : fmt(r.stock.ms, 2),
    fmt(r.stock.gflops, 2),
    fmt(r.patched.ms, 2),
    fmt(r.patched.gflops, 2),
    r.speedup === null ? 'n/a' : `${r.speedup.toFixed(1)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of table) console.log(line(row));

  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: patched.tfjsVersion,
    tfjsBackendWasm: patched.wasmVersion,
    backend: patched.backend,
    wasmSimd: patched.simd,
    wasmThreads: patched.threads,
  };
  const out = {
    date: new Date().toISOString(),
    machine,
    patchedKernels: patched.patchedKernels,
    method:
      'median (and min) ms per call after one warm-up call (≥ 2 calls, up to 15 within 0.6 s); ' +
      'GFLOP/s = useful FLOPs / median time',
    loadAverage: os.loadavg().map((v) => +v.toFixed(2)),
    rows,
    totalSeconds: +((performance.now() - t0) / 1000).toFixed(1),
  };
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'kernels.json');
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\n1-min load average at the end: ${out.loadAverage[0]} on ${machine.cores} cores (above ~1, other processes competed and times are noisier)`);
  console.log(`${machine.cpu}, ${machine.cores} cores, node ${machine.node}, tfjs ${machine.tfjs}, backend ${machine.backend}` +
    ` (SIMD ${machine.wasmSimd}, ${machine.wasmThreads} thread)`);
  console.log(`wrote ${path.relative(process.cwd(), file)} in ${out.totalSeconds} s`);
}

const childArg = process.argv.find((a) => a.startsWith('--child='));
if (childArg) await child(childArg.slice('--child='.length) as Side);
else await main();
