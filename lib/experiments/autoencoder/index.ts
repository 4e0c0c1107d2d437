/** `kind: "autoencoder"` for `splam run`. */
import { loadFashionMnist, type ImageSet } from '../../data/fashion-mnist.js';
import { defineTrainingKind } from '../training-kind.js';
import { autoencoderSchema } from './config.js';
import { autoencoderStep, disposeAutoencoder, finishAutoencoder, setupAutoencoder } from './run.js';

export const autoencoderKind = defineTrainingKind({
  kind: 'autoencoder',
  description: 'train the Fashion-MNIST autoencoder whose scaled latents SPLAD works in (latent scale 1/std, recon MSE and FID)',
  schema: autoencoderSchema,
  load: (c): ImageSet => loadFashionMnist('train', { limit: c.data.trainLimit }),
  setup: setupAutoencoder,
  step: autoencoderStep,
  state: {
    kind: 'autoencoder-train',
    label: 'autoencoder training',
    groups: (s) => [['ae', s.ae.params]],
    adam: (s) => s.adam,
  },
  params: (s) => s.ae.params,
  evaluate: finishAutoencoder,
  dispose: disposeAutoencoder,
});
