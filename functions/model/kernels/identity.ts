import { getKernel, Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';

/**
 * A zero-copy `Identity` for the wasm backend: the output shares the input's wasm memory (one more
 * reference, as the stock wasm `Reshape` does) instead of copying it. TF.js tensors are immutable and no
 * kernel writes into its inputs, so sharing is safe; tfjs-core calls Identity on every input and output of
 * a `customGrad` (fused matmul, the fused kernels, the loss), ~230 full copies per training step.
 * Strings keep the stock kernel.
 */

interface RefCountingBackend {
  incRef(dataId: object): void;
}

let stockIdentity: KernelConfig | undefined;

const identity =
  (stock: KernelConfig): KernelFunc =>
  (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return stock.kernelFunc(args);
    (args.backend as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };

/** The config to register on the wasm backend (the stock kernel is captured on the first call). */
export function identityKernelConfig(): KernelConfig {
  stockIdentity ??= getKernel(Identity, 'wasm');
  if (!stockIdentity) throw new Error('the wasm backend has no Identity kernel to wrap');
  return { ...stockIdentity, kernelFunc: identity(stockIdentity) };
}
