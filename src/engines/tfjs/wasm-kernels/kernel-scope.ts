// Runs kernels already registered for the wasm backend from inside another kernel and frees
// every intermediate it made. A composed kernel calls `run` for each step, `keep`s the result it
// returns, and calls `dispose` (in a finally) so that a step leaves no data id behind, even when
// a kernel throws: the backend's numDataIds after a kernel = before + its outputs.

// biome-ignore-all lint/style/noNonNullAssertion: numeric kernel: every index is computed from the tensor shapes checked on entry, in range by construction, in loops too hot for a check per element

import * as tf from '@tensorflow/tfjs-core';

const backendName = 'wasm';

export class KernelScope {
  private readonly temporaries: tf.TensorInfo[] = [];

  constructor(readonly backend: tf.KernelBackend) {}

  /** Runs the wasm kernel `kernelName`; its output is freed by `dispose` unless kept. */
  run(
    kernelName: string,
    inputs: tf.NamedTensorInfoMap | readonly tf.TensorInfo[],
    attrs: tf.NamedAttrMap = {},
  ): tf.TensorInfo {
    const kernel = tf.getKernel(kernelName, backendName);
    if (kernel === undefined) {
      throw new Error(`wasm kernel '${kernelName}' is not registered`);
    }
    const output = kernel.kernelFunc({
      inputs: inputs as tf.NamedTensorInfoMap,
      backend: this.backend,
      attrs,
    });
    if (Array.isArray(output)) {
      throw new Error(`wasm kernel '${kernelName}' returned several outputs`);
    }
    const single = output as tf.TensorInfo;
    this.temporaries.push(single);
    return single;
  }

  /** Same data with another shape (Reshape shares the data and counts a reference). */
  reshape(x: tf.TensorInfo, shape: readonly number[]): tf.TensorInfo {
    if (sameShape(x.shape, shape)) return x;
    return this.run('Reshape', { x }, { shape: [...shape] });
  }

  /**
   * Transpose with the axes that stay next to each other merged first: wasm's Transpose has fast
   * loops up to rank 4 (after dropping leading axes that do not move) and a slow generic one.
   */
  transpose(x: tf.TensorInfo, perm: readonly number[]): tf.TensorInfo {
    const groups: number[][] = [];
    for (const axis of perm) {
      const last = groups.at(-1);
      if (last !== undefined && last.at(-1)! + 1 === axis) last.push(axis);
      else groups.push([axis]);
    }
    const byInputOrder = [...groups].sort((a, b) => a[0]! - b[0]!);
    const mergedShape = byInputOrder.map((g) => g.reduce((size, axis) => size * x.shape[axis]!, 1));
    const mergedPerm = groups.map((g) => byInputOrder.indexOf(g));
    const outShape = perm.map((axis) => x.shape[axis]!);
    if (mergedPerm.every((axis, i) => axis === i)) return this.reshape(x, outShape);
    const merged = this.reshape(x, mergedShape);
    const transposed = this.run('Transpose', { x: merged }, { perm: mergedPerm });
    return this.reshape(transposed, outShape);
  }

  /** A constant made from host values, freed with the scope. */
  constant(values: Float32Array | Int32Array, shape: readonly number[]): tf.TensorInfo {
    const dtype: tf.DataType = values instanceof Float32Array ? 'float32' : 'int32';
    const info: tf.TensorInfo = {
      dataId: this.backend.write(values, [...shape], dtype),
      shape: [...shape],
      dtype,
    };
    this.temporaries.push(info);
    return info;
  }

  /**
   * The part of `x` between `begin` (inclusive) and `end` (exclusive) on every axis, where a
   * bound outside [0, size) reads `padValue`: one Slice when it crops, one PadV2 when it pads.
   */
  window(
    x: tf.TensorInfo,
    begin: readonly number[],
    end: readonly number[],
    padValue = 0,
  ): tf.TensorInfo {
    const cropBegin = begin.map((b) => Math.max(b, 0));
    const cropEnd = end.map((e, axis) => Math.min(e, x.shape[axis]!));
    const crops = cropBegin.some((b, axis) => b > 0 || cropEnd[axis]! < x.shape[axis]!);
    let result = x;
    if (crops) {
      const size = cropEnd.map((e, axis) => Math.max(e - cropBegin[axis]!, 0));
      result = this.run('Slice', { x }, { begin: cropBegin, size });
    }
    const paddings = begin.map((b, axis) => [
      Math.max(-b, 0),
      Math.max(end[axis]! - x.shape[axis]!, 0),
    ]);
    if (paddings.some(([before, after]) => before! > 0 || after! > 0)) {
      result = this.run('PadV2', { x: result }, { paddings, constantValue: padValue });
    }
    return result;
  }

  /**
   * dy [B, oH, oW, K] spread by the strides: out[b, i*sH, j*sW, k] = dy[b, i, j, k], zero
   * elsewhere, shape [B, oH*sH, oW*sW, K]. A reshape to [B, oH, 1, oW, 1, K], a PadV2 to
   * [B, oH, sH, oW, sW, K] and a reshape back.
   */
  spread(dy: tf.TensorInfo, strideHeight: number, strideWidth: number): tf.TensorInfo {
    if (strideHeight === 1 && strideWidth === 1) return dy;
    const [batch, height, width, depth] = dy.shape as [number, number, number, number];
    const split = this.reshape(dy, [batch, height, 1, width, 1, depth]);
    const paddings = [
      [0, 0],
      [0, 0],
      [0, strideHeight - 1],
      [0, 0],
      [0, strideWidth - 1],
      [0, 0],
    ];
    const padded = this.run('PadV2', { x: split }, { paddings, constantValue: 0 });
    return this.reshape(padded, [batch, height * strideHeight, width * strideWidth, depth]);
  }

  /** Marks `output` as the composed kernel's result so that `dispose` keeps it. */
  keep(output: tf.TensorInfo): tf.TensorInfo {
    let kept = output;
    if (!this.temporaries.includes(kept)) {
      // An input returned unchanged: the caller gets its own copy of the data.
      kept = this.run('Identity', { x: kept });
    }
    this.temporaries.splice(this.temporaries.lastIndexOf(kept), 1);
    return kept;
  }

  dispose(): void {
    for (const temporary of this.temporaries) this.backend.disposeData(temporary.dataId);
    this.temporaries.length = 0;
  }
}

/** Runs `body` with a fresh scope and frees its intermediates whatever happens. */
export function composeKernel(
  backend: tf.KernelBackend,
  body: (scope: KernelScope) => tf.TensorInfo,
): tf.TensorInfo {
  const scope = new KernelScope(backend);
  try {
    return scope.keep(body(scope));
  } finally {
    scope.dispose();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, axis) => size === b[axis]);
}
