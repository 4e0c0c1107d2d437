/**
 * The worker side of {@link ./sampling.ts}: initialise the backend and build the sampler once (`setup`), then
 * sample one chunk of rows per task (`run`).
 */
import { initBackend, type BackendName } from '../backend.js';
import { buildSampler, type ChunkSampler, type SampleChunk, type SamplingSpec } from './sampling.js';

let sampler: ChunkSampler | undefined;

export async function setup(data: { spec: SamplingSpec; backend?: BackendName }): Promise<void> {
  await initBackend(data.backend);
  sampler = buildSampler(data.spec);
}

export function run(chunk: SampleChunk): Promise<Float32Array> {
  if (!sampler) throw new Error('sampling worker used before setup');
  return sampler(chunk);
}
