/**
 * A short engine benchmark of WebGPU (tfjs-backend-webgpu on Dawn: Vulkan on a GPU, Mesa's OpenGL ES without one)
 * against wasm, each backend in its own child process (the backend is a property of the process):
 * - matmul N×N·N×N for N = 1024, 2048 (GFLOP/s = 2N³ / time);
 * - the MLP (lib/nn/mlp.ts: D = 16, hidden 256, 3 blocks, γ-embedding 256): one training step (forward, MSE to a
 *   target, backward, tf.train.adam update) at batch 1024 and 8192, and a forward pass at batch 8192.
 * Times are medians after a warm-up call (the first call, which compiles shaders on WebGPU, is reported apart).
 * On WebGPU work is queued, so each timed call ends with an awaited read of one value; calls shorter than ~50 ms
 * are repeated k times per read (k reported). The training step uses tf.train.adam, not lib/train's AdamW, whose
 * synchronous loss read (dataSync) Node's WebGPU cannot do. GFLOP/s of the MLP counts the dense layers only
 * (2 per multiply-add; a training step as 3× its forward).
 *
 *   node --import tsx bench/gpu-bench.ts [--backends webgpu,wasm] [--quick] [--no-save] [--timeout 200]
 *   bash bench/gpu.sh   (on a GPU machine: see that script)
 * Saves bench/results/gpu.json (unless --no-save) with each backend's machine info and adapter.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend, type BackendInfo } from '../lib/backend.js';
import { makeRng } from '../lib/data/rng.js';
import { makeMlp } from '../lib/nn/mlp.js';
import { machineInfo, saveResult, type MachineInfo } from './common.js';

const MARK = '@@gpu-bench@@';
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');

interface Measurement {
  id: string;
  /** Median ms per call. */
  ms: number | null;
  minMs: number | null;
  /** The first call (shader compilation on WebGPU). */
  firstMs: number | null;
  /** Calls per awaited read. */
  k: number;
  reps: number;
  flops: number | null;
  gflops: number | null;
  error?: string;
}

interface ChildReport {
  info: BackendInfo;
  described: string;
  machine: MachineInfo;
  measurements: Measurement[];
}

// ------------------------------------------------------------------------------------------------- child side

/** Median ms per call of `call` (k calls per awaited `sync`) after one warm-up call, within about `budgetMs`. */
async function measure(id: string, flops: number | null, call: () => tf.Tensor, budgetMs: number): Promise<Measurement> {
  const once = async (k: number) => {
    const t0 = performance.now();
    let last: tf.Tensor | undefined;
    for (let i = 0; i < k; i++) {
      last?.dispose();
      last = call();
    }
    const probe = tf.tidy(() => last!.flatten().slice(0, 1));
    await probe.data();
    probe.dispose();
    last!.dispose();
    return performance.now() - t0;
  };
  try {
    const firstMs = await once(1);
    const single = await once(1);
    const k = Math.max(1, Math.min(50, Math.ceil(50 / Math.max(single, 0.01))));
    const times: number[] = [];
    const start = performance.now();
    while (times.length < 3 || (times.length < 15 && performance.now() - start < budgetMs)) {
      times.push((await once(k)) / k);
      if (times.length >= 2 && performance.now() - start > budgetMs * 3) break; // a slow software adapter
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)];
    return { id, ms, minMs: times[0], firstMs, k, reps: times.length, flops, gflops: flops ? flops / ms / 1e6 : null };
  } catch (err) {
    return { id, ms: null, minMs: null, firstMs: null, k: 0, reps: 0, flops, gflops: null, error: (err as Error).message.split('\n')[0] };
  }
}

async function child(): Promise<void> {
  const info = await initBackend();
  const budget = quick ? 300 : 1500;
  const rng = makeRng(0);
  const randn = (shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
  const measurements: Measurement[] = [];

  for (const N of quick ? [1024] : [1024, 2048]) {
    const a = randn([N, N]);
    const b = randn([N, N]);
    measurements.push(await measure(`matmul ${N}`, 2 * N ** 3, () => tf.matMul(a, b), budget));
    a.dispose();
    b.dispose();
  }

  const D = 16;
  const net = makeMlp({ dim: D, hidden: 256, blocks: 3, timeEmbedDim: 64, gammaEmbedDim: 256 }, rng);
  const macsPerSample = [...net.params.values()].filter((v) => v.rank === 2).reduce((s, v) => s + v.size, 0);
  const vars = [...net.params.values()];
  const optimizer = tf.train.adam(1e-4);
  for (const B of quick ? [1024] : [1024, 8192]) {
    const x = randn([B, D]);
    const target = randn([B, D]);
    const t = tf.tensor1d(Array.from({ length: B }, () => rng.int(1000)));
    const g = tf.tensor1d(Array.from({ length: B }, () => rng.uniform()));
    const step = () => {
      optimizer.minimize(() => tf.losses.meanSquaredError(target, net.apply(x, t, g)) as tf.Scalar, false, vars);
      return vars[0].clone(); // something to read back once the update ran
    };
    measurements.push(await measure(`mlp train step B=${B}`, 3 * 2 * macsPerSample * B, step, budget));
    if (B === 8192 || quick) measurements.push(await measure(`mlp forward B=${B}`, 2 * macsPerSample * B, () => net.apply(x, t, g), budget));
    tf.dispose([x, target, t, g]);
  }
  const report: ChildReport = { info, described: describeBackend(info), machine: machineInfo(info), measurements };
  console.log(MARK + JSON.stringify(report));
}

// ------------------------------------------------------------------------------------------------ parent side

function runChild(backend: string, timeoutS: number): ChildReport | { error: string } {
  const childArgs = [...process.execArgv, process.argv[1], '--child', ...(quick ? ['--quick'] : [])];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, childArgs, {
    // The Vulkan loader's own errors say why an adapter is missing (a driver that does not initialise, a missing ICD).
    env: { ...process.env, SPLAM_BACKEND: backend, VK_LOADER_DEBUG: process.env.VK_LOADER_DEBUG ?? 'error,warn' },
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    maxBuffer: 64 * 2 ** 20,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith(MARK));
  if (line) return JSON.parse(line.slice(MARK.length));
  const why = r.error ? `${r.error.message} after ${((performance.now() - t0) / 1000).toFixed(0)} s` : `exit ${r.status}`;
  const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').map((l) => l.trim()).filter((l) => l && !/artificially reduced/.test(l));
  const diagnostics = [...new Set(lines.filter((l) => /^(ERROR|Warning: vk|Warning: Couldn't load)|unavailable|no adapter/i.test(l)))].slice(0, 12);
  return { error: `${backend}: ${why}: ${(diagnostics.length ? diagnostics : lines.slice(-6)).join(' | ')}` };
}

function cell(m: Measurement | undefined): string {
  if (!m) return '—';
  if (m.ms === null) return `error: ${m.error}`.slice(0, 40);
  const rate = m.gflops !== null ? ` ${m.gflops.toFixed(1)} GFLOP/s` : '';
  return `${m.ms < 10 ? m.ms.toFixed(2) : m.ms.toFixed(0)} ms${rate} (1st ${m.firstMs!.toFixed(0)})`;
}

async function parent(): Promise<void> {
  const backends = (option('backends') ?? 'webgpu,wasm').split(',');
  const timeoutS = Number(option('timeout') ?? 200);
  const reports: Record<string, ChildReport | { error: string }> = {};
  for (const b of backends) {
    process.stderr.write(`running ${b} (SPLAM_WEBGPU_BACKEND=${process.env.SPLAM_WEBGPU_BACKEND ?? 'auto'}) ...\n`);
    reports[b] = runChild(b, timeoutS);
  }
  console.log(`machine: ${os.cpus()[0]?.model} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`);
  for (const [b, r] of Object.entries(reports)) console.log(`${b.padEnd(7)} ${'error' in r ? `FAILED: ${r.error}` : r.described}`);
  const ids = [...new Set(Object.values(reports).flatMap((r) => ('error' in r ? [] : r.measurements.map((m) => m.id))))];
  const ok = backends.filter((b) => !('error' in reports[b]));
  const widths = [22, ...ok.map(() => 40)];
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(row(['case', ...ok]));
  console.log(row(widths.map((w) => '-'.repeat(w))));
  for (const id of ids) console.log(row([id, ...ok.map((b) => cell((reports[b] as ChildReport).measurements.find((m) => m.id === id)))]));
  if (ok.length === 2) {
    const [x, y] = ok.map((b) => reports[b] as ChildReport);
    for (const id of ids) {
      const mx = x.measurements.find((m) => m.id === id)?.ms;
      const my = y.measurements.find((m) => m.id === id)?.ms;
      if (mx && my) console.log(`${id}: ${ok[0]} is ${(my / mx).toFixed(2)}× the speed of ${ok[1]}`);
    }
  }
  if (!args.includes('--no-save')) {
    const file = saveResult('gpu', {
      command: `node bench/gpu-bench.ts ${args.join(' ')}`.trim(),
      webgpuDawnBackend: process.env.SPLAM_WEBGPU_BACKEND ?? 'auto',
      date: new Date().toISOString(),
      loadAverage: os.loadavg(),
      reports,
    });
    console.log(`saved ${file}`);
  }
}

if (args.includes('--child')) await child();
else await parent();
