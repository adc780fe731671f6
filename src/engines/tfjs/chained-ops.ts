// Tensor methods (`x.flatten()`, `x.add(y)`, ...). tfjs-core's Node bundle does not install its
// chained API, which user Layers models need (the orthogonal initializer of Keras LSTMs calls
// `flatten()`, for instance). Installs `x.op(...args) = tf.op(x, ...args)` for every op that
// has a chained form in tfjs-core 4.22, plus the few whose method differs from the op.

import * as tf from '@tensorflow/tfjs-core';

const SAME_NAME = [
  'abs',
  'acos',
  'acosh',
  'add',
  'all',
  'any',
  'argMax',
  'argMin',
  'asin',
  'asinh',
  'atan',
  'atan2',
  'atanh',
  'avgPool',
  'batchToSpaceND',
  'batchNorm',
  'broadcastTo',
  'cast',
  'ceil',
  'clipByValue',
  'concat',
  'conv1d',
  'conv2d',
  'conv2dTranspose',
  'cos',
  'cosh',
  'cumprod',
  'cumsum',
  'depthToSpace',
  'depthwiseConv2d',
  'dilation2d',
  'div',
  'divNoNan',
  'dot',
  'elu',
  'equal',
  'erf',
  'euclideanNorm',
  'exp',
  'expandDims',
  'expm1',
  'fft',
  'floor',
  'floorDiv',
  'gather',
  'greater',
  'greaterEqual',
  'ifft',
  'irfft',
  'isFinite',
  'isInf',
  'isNaN',
  'leakyRelu',
  'less',
  'lessEqual',
  'localResponseNormalization',
  'log',
  'log1p',
  'logSigmoid',
  'logSoftmax',
  'logSumExp',
  'logicalAnd',
  'logicalNot',
  'logicalOr',
  'logicalXor',
  'matMul',
  'max',
  'maxPool',
  'maximum',
  'mean',
  'min',
  'minimum',
  'mirrorPad',
  'mod',
  'mul',
  'neg',
  'norm',
  'notEqual',
  'oneHot',
  'onesLike',
  'pad',
  'pool',
  'pow',
  'prelu',
  'prod',
  'reciprocal',
  'relu',
  'relu6',
  'reshape',
  'reverse',
  'rfft',
  'round',
  'rsqrt',
  'selu',
  'separableConv2d',
  'sigmoid',
  'sign',
  'sin',
  'sinh',
  'slice',
  'softmax',
  'softplus',
  'spaceToBatchND',
  'split',
  'sqrt',
  'square',
  'squaredDifference',
  'squeeze',
  'stack',
  'step',
  'stridedSlice',
  'sub',
  'sum',
  'tan',
  'tanh',
  'tile',
  'topk',
  'transpose',
  'unique',
  'unsortedSegmentSum',
  'unstack',
  'where',
  'zerosLike',
] as const;

type AnyFunction = (...args: unknown[]) => unknown;

let installed = false;

export function installChainedOps(): void {
  if (installed) return;
  installed = true;
  const prototype = (tf.Tensor as unknown as { prototype: Record<string, unknown> }).prototype;
  const ops = tf as unknown as Record<string, AnyFunction>;
  const define = (name: string, method: (this: tf.Tensor, ...args: unknown[]) => unknown) => {
    if (typeof prototype[name] !== 'function') prototype[name] = method;
  };
  for (const name of SAME_NAME) {
    const op = ops[name];
    if (typeof op === 'function')
      define(name, function (...args) {
        return op(this, ...args);
      });
  }
  define('flatten', function () {
    return tf.reshape(this, [this.size]);
  });
  define('asScalar', function () {
    return tf.reshape(this, []);
  });
  for (const rank of [1, 2, 3, 4, 5]) {
    define(`as${rank}D`, function (...shape) {
      return tf.reshape(this, rank === 1 ? [this.size] : (shape as number[]));
    });
  }
  define('asType', function (dtype) {
    return tf.cast(this, dtype as tf.DataType);
  });
  define('toFloat', function () {
    return tf.cast(this, 'float32');
  });
  define('toInt', function () {
    return tf.cast(this, 'int32');
  });
  define('toBool', function () {
    return tf.cast(this, 'bool');
  });
  define('reshapeAs', function (other) {
    return tf.reshape(this, (other as tf.Tensor).shape);
  });
}
