import { initBackend } from '#model/backend.ts';

/** The training tests run where the local product runs: TF.js on the wasm backend, with Attune's kernels. */
export async function useTrainingBackend(): Promise<void> {
  await initBackend({ log: () => {} });
}
