import { FormatError } from '#core/errors.ts';

/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an unsigned 64-bit little-endian
 * header length N, N bytes of JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`,
 * then the raw little-endian tensor bytes, offsets relative to the end of the header. Public GPT-2
 * checkpoints are stored this way, so reading it is how a user brings their own model.
 */

export type SafeDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'U64'
  | 'I32'
  | 'U32'
  | 'I16'
  | 'U16'
  | 'I8'
  | 'U8'
  | 'BOOL';

/** F16 and BF16 are kept as their raw 16-bit patterns; `toFloat32` widens them. */
export type SafeTensorData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  data: SafeTensorData;
}

interface DtypeInfo {
  bytes: number;
  make: (buffer: ArrayBuffer) => SafeTensorData;
  is: (data: SafeTensorData) => boolean;
}

const DTYPES: Record<SafeDtype, DtypeInfo> = {
  F64: { bytes: 8, make: (b) => new Float64Array(b), is: (d) => d instanceof Float64Array },
  F32: { bytes: 4, make: (b) => new Float32Array(b), is: (d) => d instanceof Float32Array },
  F16: { bytes: 2, make: (b) => new Uint16Array(b), is: (d) => d instanceof Uint16Array },
  BF16: { bytes: 2, make: (b) => new Uint16Array(b), is: (d) => d instanceof Uint16Array },
  I64: { bytes: 8, make: (b) => new BigInt64Array(b), is: (d) => d instanceof BigInt64Array },
  U64: { bytes: 8, make: (b) => new BigUint64Array(b), is: (d) => d instanceof BigUint64Array },
  I32: { bytes: 4, make: (b) => new Int32Array(b), is: (d) => d instanceof Int32Array },
  U32: { bytes: 4, make: (b) => new Uint32Array(b), is: (d) => d instanceof Uint32Array },
  I16: { bytes: 2, make: (b) => new Int16Array(b), is: (d) => d instanceof Int16Array },
  U16: { bytes: 2, make: (b) => new Uint16Array(b), is: (d) => d instanceof Uint16Array },
  I8: { bytes: 1, make: (b) => new Int8Array(b), is: (d) => d instanceof Int8Array },
  U8: { bytes: 1, make: (b) => new Uint8Array(b), is: (d) => d instanceof Uint8Array },
  BOOL: { bytes: 1, make: (b) => new Uint8Array(b), is: (d) => d instanceof Uint8Array },
};

const METADATA_KEY = '__metadata__';
/** The reference implementation's cap: a larger header is an attack, not a model. */
const MAX_HEADER_BYTES = 100_000_000;

function isSafeDtype(value: unknown): value is SafeDtype {
  return typeof value === 'string' && Object.hasOwn(DTYPES, value);
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

interface HeaderEntry {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, raw: unknown, dataLength: number): HeaderEntry {
  const fail = (why: string): never => {
    throw new FormatError(`safetensors: tensor "${name}": ${why}`);
  };
  if (typeof raw !== 'object' || raw === null) return fail('header entry is not an object');
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isSafeDtype(dtype)) return fail(`unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInt)) {
    return fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt)) {
    return fail(`data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) return fail(`data_offsets [${begin}, ${end}] run backwards`);
  if (end > dataLength)
    return fail(`data_offsets [${begin}, ${end}] run past the data (${dataLength} bytes)`);
  const expected = elementCount(shape) * DTYPES[dtype].bytes;
  if (end - begin !== expected) {
    return fail(
      `shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes, offsets give ${end - begin}`,
    );
  }
  return { name, dtype, shape: [...shape], begin, end };
}

/** Rejects overlaps and holes: the spec requires the data to be exactly covered (no polyglot files). */
function checkCoverage(entries: HeaderEntry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: string | undefined;
  for (const e of sorted) {
    if (e.begin < cursor) {
      throw new FormatError(`safetensors: tensor "${e.name}" overlaps tensor "${previous}"`);
    }
    if (e.begin > cursor) {
      throw new FormatError(`safetensors: tensor "${e.name}" leaves a hole at bytes [${cursor}, ${e.begin})`);
    }
    cursor = e.end;
    previous = e.name;
  }
  if (cursor !== dataLength) {
    throw new FormatError(
      `safetensors: ${dataLength - cursor} bytes after the last tensor are not described`,
    );
  }
}

function parseHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.byteLength < 8) {
    throw new FormatError(`safetensors: file of ${bytes.byteLength} bytes is shorter than its 8-byte length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError(`safetensors: header length ${headerLength} exceeds ${MAX_HEADER_BYTES} bytes`);
  }
  if (headerLength > BigInt(bytes.byteLength - 8)) {
    throw new FormatError(
      `safetensors: header length ${headerLength} runs past the end of the file (${bytes.byteLength} bytes)`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (cause) {
    throw new FormatError('safetensors: header is not valid UTF-8 JSON', { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new FormatError('safetensors: header is not a JSON object');
  }
  return { header: header as Record<string, unknown>, dataStart };
}

/**
 * Parses a safetensors file, checking every claim its header makes against the bytes before trusting it.
 * Each tensor's data is copied out into its own aligned buffer (the data section need not be aligned).
 */
export function readSafetensors(bytes: Uint8Array): Map<string, SafeTensor> {
  const { header, dataStart } = parseHeader(bytes);
  const dataLength = bytes.byteLength - dataStart;
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    entries.push(parseEntry(name, raw, dataLength));
  }
  checkCoverage(entries, dataLength);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    // An explicit copy: on a Node Buffer, `slice` returns a view that shares the (pooled) memory.
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: DTYPES[e.dtype].make(copy.buffer) });
  }
  return tensors;
}

/** The `__metadata__` string map of a safetensors file (e.g. `{format: "pt"}`), empty when absent. */
export function readSafetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  const raw = parseHeader(bytes).header[METADATA_KEY];
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || !Object.values(raw).every((v) => typeof v === 'string')) {
    throw new FormatError('safetensors: __metadata__ is not a map of strings');
  }
  return raw as Record<string, string>;
}

/**
 * Serialises tensors in name order (deterministic bytes for the same content). The header is padded
 * with spaces to a multiple of 8 bytes, as the reference writer does, so data starts aligned.
 */
export function writeSafetensors(
  tensors: Map<string, SafeTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) throw new FormatError(`safetensors: "${METADATA_KEY}" is not a tensor name`);
    const t = tensors.get(name) as SafeTensor;
    const info = DTYPES[t.dtype];
    if (!info) throw new FormatError(`safetensors: tensor "${name}": unknown dtype ${t.dtype}`);
    if (!info.is(t.data)) {
      throw new FormatError(
        `safetensors: tensor "${name}": ${t.data.constructor.name} cannot hold ${t.dtype}`,
      );
    }
    if (!t.shape.every(isNonNegativeInt) || elementCount(t.shape) !== t.data.length) {
      throw new FormatError(
        `safetensors: tensor "${name}": shape [${t.shape.join(', ')}] does not hold ${t.data.length} elements`,
      );
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const name of names) {
    const data = (tensors.get(name) as SafeTensor).data;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), cursor);
    cursor += data.byteLength;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Widens a floating-point tensor to float32, the only dtype the model computes in, so checkpoints saved
 * in F16/BF16/F64 load too. Integer tensors are rejected: they are never weights.
 */
export function toFloat32(name: string, t: SafeTensor): Float32Array {
  switch (t.dtype) {
    case 'F32':
      return t.data as Float32Array;
    case 'F64':
      return Float32Array.from(t.data as Float64Array);
    case 'F16':
      return Float32Array.from(t.data as Uint16Array, halfToFloat);
    case 'BF16': {
      const bits = new Uint32Array((t.data as Uint16Array).length);
      (t.data as Uint16Array).forEach((h, i) => {
        bits[i] = h << 16;
      });
      return new Float32Array(bits.buffer);
    }
    default:
      throw new FormatError(`safetensors: tensor "${name}" has dtype ${t.dtype}, expected a float type`);
  }
}
