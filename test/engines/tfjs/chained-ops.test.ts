import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engines/tfjs/backend.js';
import { installChainedOps } from '../../../src/engines/tfjs/chained-ops.js';

describe('chained tensor methods', () => {
  it('installs x.op(...) = tf.op(x, ...) and the special forms', async () => {
    await selectBackend('cpu');
    installChainedOps();
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const methods = x as unknown as Record<string, (...args: unknown[]) => tf.Tensor>;
    expect(Array.from(methods.flatten!().dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(methods.add!(x).dataSync())).toEqual([2, 4, 6, 8]);
    expect(methods.slice!([1, 0], [1, 2]).shape).toEqual([1, 2]);
    expect(methods.asType!('int32').dtype).toBe('int32');
  });

  it('lets a Keras-style LSTM with the orthogonal recurrent initializer build (it calls flatten())', async () => {
    await selectBackend('cpu');
    const model = tfl.sequential({
      layers: [
        tfl.layers.embedding({ inputDim: 20, outputDim: 4, inputLength: 5 }),
        tfl.layers.lstm({ units: 3, recurrentInitializer: 'orthogonal' }),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const out = model.predict(tf.zeros([1, 5])) as tf.Tensor;
    expect(out.shape).toEqual([1, 2]);
  });
});
