import * as tf from '@tensorflow/tfjs';
import { initBackend, nativeBlasOutcome } from '#model/backend.ts';

/**
 * Entry point of a fresh process for the backend tests (see fresh-backend.ts): initBackend chooses once
 * per process, and unit test files share theirs. Calls it twice, multiplies once, and prints what a test
 * checks as one JSON line.
 */
const lines: string[] = [];
const log = (line: string) => lines.push(line);
const backends = [await initBackend({ log }), await initBackend({ log })];
const product = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).arraySync();
process.stdout.write(`${JSON.stringify({ backends, lines, outcome: nativeBlasOutcome(), product })}\n`);
