/** The `data` block of the image-tier configs that train on Fashion-MNIST (autoencoder, latent teacher, SPLAD). */
import { z } from 'zod';

export const imageDataSchema = z
  .object({
    /** The only image set so far; its folder comes from SPLAM_FASHION_MNIST or the Debian path. */
    dataset: z.literal('fashion-mnist').default('fashion-mnist'),
    /** Use the first n training / test examples only (quick runs). Default: all (60,000 / 10,000). */
    trainLimit: z.number().int().min(2).optional(),
    testLimit: z.number().int().min(4).optional(),
  })
  .strict()
  .prefault({});
