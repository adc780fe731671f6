// Saves a TF.js Layers model as model.json plus one weights.bin next to it, with node:fs (the
// layout loadLayersModelFile reads; the same as tfjs-layers' file:// saver in tfjs-node).

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

function concatenate(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  const total = buffers.reduce((sum, b) => sum + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const buffer of buffers) {
    out.set(new Uint8Array(buffer), offset);
    offset += buffer.byteLength;
  }
  return out;
}

/** Writes `directory/model.json` and `directory/weights.bin`; returns the model.json path. */
export async function saveLayersModelFile(
  model: tfl.LayersModel,
  directory: string,
): Promise<string> {
  await mkdir(directory, { recursive: true });
  const modelPath = path.join(directory, 'model.json');
  await model.save({
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const weights = concatenate(artifacts.weightData);
      await writeFile(path.join(directory, 'weights.bin'), weights);
      const manifest = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(modelPath, JSON.stringify(manifest));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weights.byteLength,
        },
      };
    },
  });
  return modelPath;
}
