/** Seeded clustered unit vectors for index tests: real embeddings are clustered, not isotropic. */
import { rng } from '../../src/shared/rng';

/** The dimension the IVF kill test's child writes. */
export const ANN_CHILD_DIM = 32;

/** `n` unit vectors around `clusters` random centres; the same seed always draws the same centres first. */
export function clusteredVectors(n: number, dim: number, clusters: number, seed: number): Float32Array {
  const next = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = gauss();
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(next() * clusters);
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const x = (centres[c * dim + d] as number) + 0.6 * gauss();
      out[i * dim + d] = x;
      norm += x * x;
    }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dim; d++) out[i * dim + d] = (out[i * dim + d] as number) / norm;
  }
  return out;
}
