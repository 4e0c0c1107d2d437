/**
 * The worker side of {@link ./sampling.ts}: initialise the backend and build the sampler once (`setup`), then
 * sample one chunk of rows per task (`run`).
 */
import { initBackend, type BackendName } from '../backend.js';
import { buildSampler, type ChunkSampler, type SampleChunk, type SamplingSpec } from './sampling.js';

let sampler: ChunkSampler | undefined;

export async function setup(data: { spec: SamplingSpec; backend?: BackendName; threadsPerWorker?: number }): Promise<void> {
  const info = await initBackend(data.backend);
  // On `native` each worker's oneDNN kernels get their share of the cores (the OpenMP count is per thread), so the
  // pool does not oversubscribe them. Results do not depend on it (test/backend/native-kernels.test.ts).
  if (info.name === 'native' && data.threadsPerWorker) {
    const { loadNative } = await import('../backend/native.js');
    loadNative().setThreads(data.threadsPerWorker);
  }
  sampler = buildSampler(data.spec);
}

export function run(chunk: SampleChunk): Promise<Float32Array> {
  if (!sampler) throw new Error('sampling worker used before setup');
  return sampler(chunk);
}
