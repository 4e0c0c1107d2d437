/**
 * Replacement kernels for tfjs-backend-wasm 4.22 (work in progress in this session: see issue 2 item 2).
 * @returns names of the kernels registered.
 */
export function registerWasmKernels(): string[] {
  return [];
}
