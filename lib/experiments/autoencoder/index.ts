/** `kind: "autoencoder"` for `splam run`. */
import { autoencoderSchema, runAutoencoder } from './run.js';
import { defineKind } from '../kind.js';

export const autoencoderKind = defineKind({
  schema: autoencoderSchema,
  kind: 'autoencoder',
  description: 'train the Fashion-MNIST autoencoder whose scaled latents SPLAD works in (latent scale 1/std, recon MSE and FID)',
  experimentOf: (c) => c.experiment,
  seedOf: (c) => c.seed,
  run: (config, ctx) => runAutoencoder(config, ctx),
});
