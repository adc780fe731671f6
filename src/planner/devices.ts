// Accelerators the planner knows: memory and peak dense (no sparsity) throughput per precision,
// from the vendors' datasheets (cited per entry), plus custom values. Memory is the datasheet
// capacity in binary units (HBM and GDDR capacities are powers of two: "80GB" is 80 GiB); the
// driver's own reservation is counted in the memory model's runtime overhead term.

import { BatchwiseError } from '../errors.js';

export type Precision = 'fp32' | 'bf16' | 'fp16';

export interface DeviceSpec {
  readonly name: string;
  readonly description: string;
  readonly memoryBytes: number;
  /** Peak dense TFLOPS: fp32 on CUDA cores, tf32/bf16/fp16 on tensor cores; absent if unsupported. */
  readonly tflops: {
    readonly fp32: number;
    readonly tf32?: number;
    readonly bf16?: number;
    readonly fp16?: number;
  };
  readonly unifiedMemory?: boolean;
  readonly source: string;
}

const GiB = 1024 ** 3;

export const DEVICES: readonly DeviceSpec[] = [
  {
    name: 'h100-80gb',
    description: 'NVIDIA H100 SXM5 80GB',
    memoryBytes: 80 * GiB,
    tflops: { fp32: 67, tf32: 494.5, bf16: 989.5, fp16: 989.5 },
    source: 'NVIDIA H100 Tensor Core GPU datasheet (SXM column; sparsity figures halved)',
  },
  {
    name: 'h100-pcie',
    description: 'NVIDIA H100 PCIe 80GB',
    memoryBytes: 80 * GiB,
    tflops: { fp32: 51, tf32: 378, bf16: 756, fp16: 756 },
    source: 'NVIDIA H100 Tensor Core GPU datasheet (PCIe column; sparsity figures halved)',
  },
  {
    name: 'h200',
    description: 'NVIDIA H200 SXM 141GB',
    memoryBytes: 141 * GiB,
    tflops: { fp32: 67, tf32: 494.5, bf16: 989.5, fp16: 989.5 },
    source: 'NVIDIA H200 Tensor Core GPU datasheet (SXM column; sparsity figures halved)',
  },
  {
    name: 'a100-40gb',
    description: 'NVIDIA A100 SXM4 40GB',
    memoryBytes: 40 * GiB,
    tflops: { fp32: 19.5, tf32: 156, bf16: 312, fp16: 312 },
    source: 'NVIDIA A100 Tensor Core GPU datasheet (dense figures)',
  },
  {
    name: 'a100-80gb',
    description: 'NVIDIA A100 SXM4 80GB',
    memoryBytes: 80 * GiB,
    tflops: { fp32: 19.5, tf32: 156, bf16: 312, fp16: 312 },
    source: 'NVIDIA A100 Tensor Core GPU datasheet (dense figures)',
  },
  {
    name: 'l4',
    description: 'NVIDIA L4 24GB',
    memoryBytes: 24 * GiB,
    tflops: { fp32: 30.3, tf32: 60, bf16: 121, fp16: 121 },
    source: 'NVIDIA L4 Tensor Core GPU datasheet (sparsity figures halved)',
  },
  {
    name: 'l40s',
    description: 'NVIDIA L40S 48GB',
    memoryBytes: 48 * GiB,
    tflops: { fp32: 91.6, tf32: 183, bf16: 362, fp16: 362 },
    source: 'NVIDIA L40S GPU datasheet (sparsity figures halved)',
  },
  {
    name: 'rtx4090',
    description: 'NVIDIA GeForce RTX 4090 24GB',
    memoryBytes: 24 * GiB,
    tflops: { fp32: 82.6, tf32: 82.6, bf16: 165.2, fp16: 165.2 },
    source:
      'NVIDIA Ada Lovelace architecture whitepaper, Table 2 (FP16/BF16 with FP32 accumulate, dense)',
  },
  {
    name: 'rtx3090',
    description: 'NVIDIA GeForce RTX 3090 24GB',
    memoryBytes: 24 * GiB,
    tflops: { fp32: 35.6, tf32: 35.6, bf16: 71, fp16: 71 },
    source: 'NVIDIA Ampere GA102 GPU architecture whitepaper, Table 9 (FP32 accumulate, dense)',
  },
  {
    name: 't4',
    description: 'NVIDIA T4 16GB',
    memoryBytes: 16 * GiB,
    tflops: { fp32: 8.1, fp16: 65 },
    source: 'NVIDIA T4 Tensor Core GPU datasheet (no bf16 or tf32 on Turing)',
  },
  {
    name: 'v100-16gb',
    description: 'NVIDIA V100 SXM2 16GB',
    memoryBytes: 16 * GiB,
    tflops: { fp32: 15.7, fp16: 125 },
    source: 'NVIDIA V100 Tensor Core GPU datasheet (SXM2; no bf16 or tf32 on Volta)',
  },
  {
    name: 'v100-32gb',
    description: 'NVIDIA V100 SXM2 32GB',
    memoryBytes: 32 * GiB,
    tflops: { fp32: 15.7, fp16: 125 },
    source: 'NVIDIA V100 Tensor Core GPU datasheet (SXM2; no bf16 or tf32 on Volta)',
  },
  {
    name: 'apple-m2-max',
    description: 'Apple M2 Max, 38-core GPU, 96GB unified memory',
    // macOS lets the GPU wire about 75% of unified memory (Metal recommendedMaxWorkingSetSize).
    memoryBytes: 72 * GiB,
    tflops: { fp32: 13.6, bf16: 13.6, fp16: 13.6 },
    unifiedMemory: true,
    source:
      'Apple M2 Max press release (Jan 2023) for memory; 13.6 TFLOPS FP32 is a third-party figure (38 cores × 128 ALUs × 2 × 1.398 GHz), fp16 assumed at the fp32 rate',
  },
  {
    name: 'apple-m3-max',
    description: 'Apple M3 Max, 40-core GPU, 128GB unified memory',
    memoryBytes: 96 * GiB,
    tflops: { fp32: 16.4, bf16: 16.4, fp16: 16.4 },
    unifiedMemory: true,
    source:
      'Apple M3 family press release (Oct 2023) for memory; 16.4 TFLOPS FP32 is a third-party figure (40 cores × 128 ALUs × 2 × 1.6 GHz), fp16 assumed at the fp32 rate; GPU share 75% of memory',
  },
];

export const DEVICE_NAMES: readonly string[] = DEVICES.map((d) => d.name);

export function findDevice(name: string): DeviceSpec {
  const device = DEVICES.find((d) => d.name === name.toLowerCase());
  if (!device) {
    throw new BatchwiseError(
      'invalid-option',
      `unknown device "${name}": use one of ${DEVICE_NAMES.join(', ')}, or give --device-memory and --device-tflops`,
    );
  }
  return device;
}

/** A device from user-given memory and peak TFLOPS (used for every precision). */
export function customDevice(memoryBytes: number, tflops: number, name = 'custom'): DeviceSpec {
  if (!(memoryBytes > 0 && tflops > 0)) {
    throw new BatchwiseError(
      'invalid-option',
      'a custom device needs --device-memory > 0 and --device-tflops > 0',
    );
  }
  return {
    name,
    description: `custom device (${tflops} TFLOPS)`,
    memoryBytes,
    tflops: { fp32: tflops, bf16: tflops, fp16: tflops },
    source: 'given on the command line',
  };
}

/**
 * Peak FLOP/s used for a precision: fp32 training runs on the fp32 rate (PyTorch leaves TF32
 * matmuls off by default since 1.12); bf16/fp16 mixed precision on the tensor-core rate.
 */
export function peakFlopsPerSecond(device: DeviceSpec, precision: Precision): number {
  const tflops = device.tflops[precision];
  if (tflops === undefined) {
    throw new BatchwiseError(
      'invalid-option',
      `${device.description} has no ${precision} support: use --precision ${precision === 'bf16' && device.tflops.fp16 !== undefined ? 'fp16' : 'fp32'}`,
    );
  }
  return tflops * 1e12;
}
