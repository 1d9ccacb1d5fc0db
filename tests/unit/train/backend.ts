import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/** The training tests run where the local product runs: TF.js on the wasm backend. */
export async function useTrainingBackend(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
}
