/**
 * The worker side of {@link ./sampling.ts}: initialise the backend and build the sampler once (`setup`), then
 * sample one chunk of rows per task (`run`).
 */
import { initBackend, type BackendName } from '../backend.js';
import { buildSampler, type ChunkSampler, type SampleChunk, type SamplingSpec } from './sampling.js';

let sampler: ChunkSampler | undefined;

export async function setup(data: { spec: SamplingSpec; backend?: BackendName; kernelThreads: number }): Promise<void> {
  const info = await initBackend(data.backend);
  // On `native` every chunk runs with the pool's kernel thread count (the OpenMP count is per thread), the count a
  // serial run uses too: oneDNN does not promise equal bits across thread counts, so it must not vary with the
  // worker count.
  if (info.name === 'native') {
    const { loadNative } = await import('../backend/native.js');
    loadNative().setThreads(data.kernelThreads);
  }
  sampler = buildSampler(data.spec);
}

export function run(chunk: SampleChunk): Promise<Float32Array> {
  if (!sampler) throw new Error('sampling worker used before setup');
  return sampler(chunk);
}
