// ResNet-18 and ResNet-50 (He et al. 2016, Table 1), built as torchvision builds them (stride on
// the 3×3 convolution of a bottleneck, "ResNet v1.5"; no conv biases; batch norm weight and bias
// as parameters, running statistics as buffers), walked layer by layer at a given resolution.
// Parameter counts: ResNet-18 11,689,512 and ResNet-50 25,557,032 (torchvision model docs).

import { BatchwiseError } from '../../errors.js';
import { type LayerSummary, type LayerwiseModel, summarizeLayers } from './layerwise.js';

export type ResNetName = 'resnet18' | 'resnet50';
export const RESNET_NAMES: readonly ResNetName[] = ['resnet18', 'resnet50'];

interface Feature {
  channels: number;
  size: number;
}

function convOut(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/**
 * What PyTorch keeps for the backward pass: every convolution output (the batch norm's input),
 * the output of each batch norm followed by ReLU (ReLU runs in place and keeps its output, the
 * next convolution's input), pooling and residual-sum outputs. A batch norm whose output feeds the
 * residual sum keeps nothing more: the sum's backward needs no input, so that tensor is freed.
 */
class Walker {
  readonly layers: LayerSummary[] = [];
  constructor(public feature: Feature) {}

  conv(name: string, out: number, kernel: number, stride: number, from = this.feature): Feature {
    const padding = Math.floor(kernel / 2);
    const size = convOut(from.size, kernel, stride, padding);
    const elements = out * size * size;
    this.layers.push({
      name,
      kind: 'conv2d',
      outputShape: [out, size, size],
      parameters: kernel * kernel * from.channels * out,
      storedElements: elements,
      macs: kernel * kernel * from.channels * elements,
    });
    this.feature = { channels: out, size };
    return this.feature;
  }

  batchNorm(name: string, stored = true): void {
    const { channels, size } = this.feature;
    this.layers.push({
      name,
      kind: 'batchnorm',
      outputShape: [channels, size, size],
      parameters: 2 * channels,
      storedElements: stored ? channels * size * size : 0,
      macs: 0,
    });
  }

  other(name: string, kind: string, feature: Feature, parameters = 0, macs = 0): void {
    this.layers.push({
      name,
      kind,
      outputShape: [feature.channels, feature.size, feature.size],
      parameters,
      storedElements: feature.channels * feature.size * feature.size,
      macs,
    });
    this.feature = feature;
  }
}

function block(
  w: Walker,
  name: string,
  kind: 'basic' | 'bottleneck',
  planes: number,
  stride: number,
): void {
  const input = w.feature;
  const expansion = kind === 'basic' ? 1 : 4;
  if (kind === 'basic') {
    w.conv(`${name}.conv1`, planes, 3, stride);
    w.batchNorm(`${name}.bn1`);
    w.conv(`${name}.conv2`, planes, 3, 1);
    w.batchNorm(`${name}.bn2`, false);
  } else {
    w.conv(`${name}.conv1`, planes, 1, 1);
    w.batchNorm(`${name}.bn1`);
    w.conv(`${name}.conv2`, planes, 3, stride);
    w.batchNorm(`${name}.bn2`);
    w.conv(`${name}.conv3`, planes * expansion, 1, 1);
    w.batchNorm(`${name}.bn3`, false);
  }
  const main = w.feature;
  if (stride !== 1 || input.channels !== planes * expansion) {
    w.conv(`${name}.downsample.0`, planes * expansion, 1, stride, input);
    w.batchNorm(`${name}.downsample.1`, false);
  }
  w.other(`${name}.add`, 'add', main);
}

/** ResNet-18 or ResNet-50 at `resolution`×`resolution` RGB input, 1,000 classes. */
export function resnet(name: ResNetName, resolution = 224, classes = 1000): LayerwiseModel {
  if (!(Number.isInteger(resolution) && resolution >= 32)) {
    throw new BatchwiseError(
      'invalid-option',
      `--resolution must be a whole number >= 32 for ${name}, got ${resolution}`,
    );
  }
  const kind = name === 'resnet18' ? 'basic' : 'bottleneck';
  const blocks = name === 'resnet18' ? [2, 2, 2, 2] : [3, 4, 6, 3];
  const w = new Walker({ channels: 3, size: resolution });
  w.conv('conv1', 64, 7, 2);
  w.batchNorm('bn1');
  w.other('maxpool', 'maxpool', { channels: 64, size: convOut(w.feature.size, 3, 2, 1) });
  [64, 128, 256, 512].forEach((planes, stage) => {
    for (let i = 0; i < (blocks[stage] ?? 0); i++) {
      block(w, `layer${stage + 1}.${i}`, kind, planes, i === 0 && stage > 0 ? 2 : 1);
    }
  });
  const features = w.feature.channels;
  w.other('avgpool', 'avgpool', { channels: features, size: 1 });
  w.other(
    'fc',
    'dense',
    { channels: classes, size: 1 },
    features * classes + classes,
    features * classes,
  );
  return summarizeLayers(name, 3 * resolution * resolution, w.layers);
}
