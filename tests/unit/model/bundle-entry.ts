import * as tf from '@tensorflow/tfjs';
import { initBackend } from '#model/backend.ts';
import { gpt2Forward, initGpt2Weights } from '#model/gpt2.ts';

/** Entry bundled by backend-bundle.test.ts the way the Lambdas are: picks a backend and runs the model. */
const backend = await initBackend();
const config = { n_layer: 1, n_head: 2, n_embd: 8, n_positions: 8, vocab_size: 11, layer_norm_epsilon: 1e-5 };
const input = tf.tensor2d([[1, 2]], [1, 2], 'int32');
const { logits } = gpt2Forward(config, initGpt2Weights(config, 1), input);
process.stdout.write(JSON.stringify({ backend, shape: logits.shape }));
