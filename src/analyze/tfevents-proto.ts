// The few messages of TensorFlow's event protocol that scalars need (tensorflow/core/util/
// event.proto, core/framework/summary.proto, tensor.proto, tensor_shape.proto; field numbers as
// there), decoded with protobufjs. A scalar is a Summary.Value with `simple_value` (PyTorch's
// SummaryWriter, TF1) or a 0-d (or one-element) tensor (TF2's tf.summary.scalar).

import protobuf from 'protobufjs';

const EVENT_PROTO = `
syntax = "proto3";
package tensorflow;
message TensorShapeProto {
  message Dim { int64 size = 1; string name = 2; }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}
message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  bytes tensor_content = 4;
  repeated int32 half_val = 13 [packed = true];
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
  repeated int32 int_val = 7 [packed = true];
  repeated int64 int64_val = 10 [packed = true];
}
message SummaryMetadata {
  message PluginData { string plugin_name = 1; bytes content = 2; }
  PluginData plugin_data = 1;
}
message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value { float simple_value = 2; TensorProto tensor = 8; }
  }
  repeated Value value = 1;
}
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what { string file_version = 3; Summary summary = 5; }
}
`;

const root = protobuf.parse(EVENT_PROTO, { keepCase: true }).root;
const EventType = root.lookupType('tensorflow.Event');

// tensorflow/core/framework/types.proto
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_INT64 = 9;
const DT_HALF = 19;

export interface ScalarValue {
  readonly tag: string;
  readonly value: number;
}

export interface DecodedEvent {
  readonly wallTime: number;
  readonly step: number;
  readonly fileVersion?: string;
  readonly scalars: readonly ScalarValue[];
  /** Tags of values that are not scalars (histograms, images, text, larger tensors). */
  readonly otherTags: readonly string[];
}

interface TensorObject {
  dtype?: number;
  tensor_shape?: { dim?: { size?: number }[] };
  tensor_content?: Uint8Array;
  half_val?: number[];
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  int64_val?: number[];
}

interface ValueObject {
  tag?: string;
  simple_value?: number;
  tensor?: TensorObject;
}

interface EventObject {
  wall_time?: number;
  step?: number;
  file_version?: string;
  summary?: { value?: ValueObject[] };
}

/** IEEE 754 half precision to a number. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The number a scalar tensor holds; undefined for anything but one element of a numeric type. */
function tensorScalar(tensor: TensorObject): number | undefined {
  const size = (tensor.tensor_shape?.dim ?? []).reduce((p, d) => p * Number(d.size ?? 0), 1);
  if (size !== 1) return undefined;
  const content = tensor.tensor_content;
  if (content && content.length > 0) {
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    if (tensor.dtype === DT_FLOAT && content.length >= 4) return view.getFloat32(0, true);
    if (tensor.dtype === DT_DOUBLE && content.length >= 8) return view.getFloat64(0, true);
    if (tensor.dtype === DT_INT32 && content.length >= 4) return view.getInt32(0, true);
    if (tensor.dtype === DT_INT64 && content.length >= 8) return Number(view.getBigInt64(0, true));
    if (tensor.dtype === DT_HALF && content.length >= 2)
      return halfToNumber(view.getUint16(0, true));
    return undefined;
  }
  const first =
    tensor.float_val?.[0] ??
    tensor.double_val?.[0] ??
    tensor.int_val?.[0] ??
    tensor.int64_val?.[0] ??
    (tensor.half_val?.[0] !== undefined ? halfToNumber(tensor.half_val[0]) : undefined);
  return first === undefined ? undefined : Number(first);
}

/** Decode one event record; throws protobufjs's error on malformed bytes. */
export function decodeEvent(data: Uint8Array): DecodedEvent {
  const event = EventType.toObject(EventType.decode(data), {
    longs: Number,
    defaults: false,
  }) as EventObject;
  const scalars: ScalarValue[] = [];
  const otherTags: string[] = [];
  for (const value of event.summary?.value ?? []) {
    const tag = value.tag ?? '';
    const number =
      value.simple_value !== undefined
        ? value.simple_value
        : value.tensor
          ? tensorScalar(value.tensor)
          : undefined;
    if (number === undefined) otherTags.push(tag);
    else scalars.push({ tag, value: number });
  }
  return {
    wallTime: event.wall_time ?? 0,
    step: event.step ?? 0,
    ...(event.file_version !== undefined ? { fileVersion: event.file_version } : {}),
    scalars,
    otherTags,
  };
}

export interface EventToEncode {
  readonly wallTime: number;
  readonly step: number;
  readonly fileVersion?: string;
  /** Scalars written as simple_value, or as a float32 0-d tensor when `asTensor`. */
  readonly scalars?: readonly { tag: string; value: number; asTensor?: boolean }[];
}

/** Encode an event (the writer side, for tests and examples). */
export function encodeEvent(event: EventToEncode): Uint8Array {
  const message = {
    wall_time: event.wallTime,
    step: event.step,
    ...(event.fileVersion !== undefined ? { file_version: event.fileVersion } : {}),
    ...(event.scalars
      ? {
          summary: {
            value: event.scalars.map((s) =>
              s.asTensor
                ? {
                    tag: s.tag,
                    tensor: { dtype: DT_FLOAT, tensor_shape: {}, float_val: [s.value] },
                  }
                : { tag: s.tag, simple_value: s.value },
            ),
          },
        }
      : {}),
  };
  return EventType.encode(EventType.fromObject(message)).finish();
}
