// A model described by walking its layers (convolutional nets, TF.js Layers models): parameters,
// the activation elements one example leaves stored for the backward pass, and its FLOPs.

export interface LayerSummary {
  readonly name: string;
  readonly kind: string;
  /** Output shape of one example (no batch dimension). */
  readonly outputShape: readonly number[];
  readonly parameters: number;
  /** Elements this layer adds to what is kept for the backward pass, per example. */
  readonly storedElements: number;
  /** Multiply-accumulates of the forward pass, per example. */
  readonly macs: number;
}

export interface LayerwiseModel {
  readonly name: string;
  readonly parameters: number;
  /** Parameters that receive gradients and optimizer state (BN moving statistics excluded). */
  readonly trainableParameters: number;
  /** Stored activation elements per example, input included. */
  readonly activationElementsPerExample: number;
  /**
   * Training FLOPs per example: 6 × forward MACs (a forward pass costs 2 FLOPs per MAC and the
   * backward pass twice the forward: Kaplan et al. 2020 §2.1, the same 2N + 4N split).
   */
  readonly trainingFlopsPerExample: number;
  readonly layers: readonly LayerSummary[];
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function summarizeLayers(
  name: string,
  inputElements: number,
  layers: readonly LayerSummary[],
  nonTrainableParameters = 0,
): LayerwiseModel {
  const parameters = layers.reduce((s, l) => s + l.parameters, 0);
  const stored = layers.reduce((s, l) => s + l.storedElements, 0);
  const macs = layers.reduce((s, l) => s + l.macs, 0);
  return {
    name,
    parameters,
    trainableParameters: parameters - nonTrainableParameters,
    activationElementsPerExample: inputElements + stored,
    trainingFlopsPerExample: 6 * macs,
    layers,
  };
}
