import { describe, expect, it } from 'vitest';
import { FormatError } from '#core/errors.ts';
import {
  readSafetensors,
  readSafetensorsMetadata,
  type SafeTensor,
  toFloat32,
  writeSafetensors,
} from '#model/safetensors.ts';

/** Builds a file by hand so a test can make the header say anything. */
function rawFile(header: unknown, dataBytes: number, headerLengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, headerLengthOverride ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  return out;
}

function expectFormatError(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    readSafetensors(bytes);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(FormatError);
  expect((caught as Error).message).toMatch(pattern);
}

describe('writeSafetensors then readSafetensors', () => {
  it('given tensors of several dtypes, when written and read back, then names, dtypes, shapes and values match', () => {
    const tensors = new Map<string, SafeTensor>([
      ['wte.weight', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 4, 5, 6]) }],
      ['ids', { dtype: 'I64', shape: [3], data: new BigInt64Array([1n, -2n, 3n]) }],
      ['mask', { dtype: 'I32', shape: [1, 2], data: new Int32Array([1, 0]) }],
      ['half', { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) }],
      ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const back = readSafetensors(writeSafetensors(tensors, { format: 'pt' }));
    expect([...back.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const b = back.get(name) as SafeTensor;
      expect(b.dtype).toBe(t.dtype);
      expect(b.shape).toEqual(t.shape);
      expect(Array.from(b.data as ArrayLike<number | bigint>)).toEqual(
        Array.from(t.data as ArrayLike<number | bigint>),
      );
    }
  });

  it('given a Node Buffer at an offset in a larger pool, when read, then each tensor holds only its own data', () => {
    const file = writeSafetensors(
      new Map<string, SafeTensor>([
        ['a', { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }],
        ['b', { dtype: 'F32', shape: [1], data: new Float32Array([3]) }],
      ]),
    );
    const pool = Buffer.alloc(file.byteLength + 13);
    pool.set(file, 13);
    const back = readSafetensors(pool.subarray(13));
    expect(Array.from(back.get('a')?.data as Float32Array)).toEqual([1, 2]);
    expect(Array.from(back.get('b')?.data as Float32Array)).toEqual([3]);
  });

  it('given metadata, when written, then it is read back and the data section starts 8-byte aligned', () => {
    const bytes = writeSafetensors(
      new Map([['x', { dtype: 'F32', shape: [1], data: new Float32Array([7]) }]]),
      { format: 'pt' },
    );
    expect(readSafetensorsMetadata(bytes)).toEqual({ format: 'pt' });
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
  });

  it('given a file without metadata, when its metadata is read, then it is empty', () => {
    const bytes = writeSafetensors(new Map([['x', { dtype: 'U8', shape: [1], data: new Uint8Array([1]) }]]));
    expect(readSafetensorsMetadata(bytes)).toEqual({});
  });

  it('given the same tensors in another insertion order, when written, then the bytes are identical', () => {
    const a = { dtype: 'F32' as const, shape: [1], data: new Float32Array([1]) };
    const b = { dtype: 'F32' as const, shape: [1], data: new Float32Array([2]) };
    const one = writeSafetensors(
      new Map([
        ['a', a],
        ['b', b],
      ]),
    );
    const two = writeSafetensors(
      new Map([
        ['b', b],
        ['a', a],
      ]),
    );
    expect(one).toEqual(two);
  });
});

describe('writeSafetensors rejects', () => {
  it('given a shape that does not match the element count, then it throws a FormatError naming the tensor', () => {
    const bad = new Map([['w', { dtype: 'F32' as const, shape: [2, 2], data: new Float32Array(3) }]]);
    expect(() => writeSafetensors(bad)).toThrow(/tensor "w".*does not hold 3 elements/);
  });

  it('given an array type that cannot hold the dtype, then it throws a FormatError naming the tensor', () => {
    const bad = new Map([['w', { dtype: 'F32' as const, shape: [2], data: new Int32Array(2) }]]);
    expect(() => writeSafetensors(bad)).toThrow(FormatError);
  });

  it('given a tensor named __metadata__, then it throws', () => {
    const bad = new Map([['__metadata__', { dtype: 'F32' as const, shape: [1], data: new Float32Array(1) }]]);
    expect(() => writeSafetensors(bad)).toThrow(FormatError);
  });
});

describe('readSafetensors rejects a lying file', () => {
  it('given fewer than 8 bytes, then it throws', () => {
    expectFormatError(new Uint8Array(5), /shorter than its 8-byte length/);
  });

  it('given a header length beyond the file, then it throws', () => {
    expectFormatError(rawFile({}, 0, 1_000_000n), /runs past the end of the file/);
  });

  it('given a header length beyond the 100 MB cap, then it throws before reading it', () => {
    expectFormatError(rawFile({}, 0, 200_000_000n), /exceeds 100000000 bytes/);
  });

  it('given a header that is not JSON, then it throws', () => {
    const bytes = new Uint8Array(8 + 3);
    new DataView(bytes.buffer).setBigUint64(0, 3n, true);
    bytes.set(new TextEncoder().encode('{{{'), 8);
    expectFormatError(bytes, /not valid UTF-8 JSON/);
  });

  it('given a header that is a JSON array, then it throws', () => {
    expectFormatError(rawFile([1, 2], 0), /not a JSON object/);
  });

  it('given an unknown dtype, then it names the tensor', () => {
    expectFormatError(
      rawFile({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, 1),
      /tensor "w": unknown dtype/,
    );
  });

  it('given a negative shape, then it names the tensor', () => {
    expectFormatError(
      rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4),
      /tensor "w": shape/,
    );
  });

  it('given malformed data_offsets, then it names the tensor', () => {
    expectFormatError(
      rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4),
      /tensor "w": data_offsets/,
    );
  });

  it('given offsets that run backwards, then it names the tensor', () => {
    expectFormatError(
      rawFile({ w: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, 4),
      /tensor "w".*backwards/,
    );
  });

  it('given a shape whose byte size disagrees with the offsets, then it names the tensor', () => {
    expectFormatError(
      rawFile({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, 12),
      /tensor "w": shape \[2, 2\] of F32 needs 16 bytes, offsets give 12/,
    );
  });

  it('given a dtype size that disagrees with the offsets, then it names the tensor', () => {
    expectFormatError(
      rawFile({ w: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, 8),
      /tensor "w".*needs 16/,
    );
  });

  it('given data offsets beyond the file, then it names the tensor', () => {
    expectFormatError(
      rawFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8),
      /tensor "w".*run past/,
    );
  });

  it('given two tensors whose data overlap, then it names them', () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    expectFormatError(rawFile(header, 12), /tensor "b" overlaps tensor "a"/);
  });

  it('given a hole between tensors, then it names the tensor after the hole', () => {
    const header = {
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
    };
    expectFormatError(rawFile(header, 12), /tensor "b" leaves a hole/);
  });

  it('given trailing bytes no tensor describes, then it throws', () => {
    expectFormatError(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /4 bytes after/);
  });

  it('given an entry that is not an object, then it names the tensor', () => {
    expectFormatError(rawFile({ w: 3 }, 0), /tensor "w": header entry is not an object/);
  });

  it('given metadata that is not a map of strings, then reading the metadata throws', () => {
    expect(() => readSafetensorsMetadata(rawFile({ __metadata__: { n: 1 } }, 0))).toThrow(FormatError);
  });
});

describe('toFloat32', () => {
  it('given F16 values, then they widen exactly', () => {
    const t: SafeTensor = {
      dtype: 'F16',
      shape: [4],
      data: new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001]),
    };
    const out = toFloat32('h', t);
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(-2);
    expect(out[2]).toBeCloseTo(0.33325195, 7);
    expect(out[3]).toBeCloseTo(2 ** -24, 12);
  });

  it('given F16 infinities and NaN, then they widen to the same specials', () => {
    const t: SafeTensor = { dtype: 'F16', shape: [3], data: new Uint16Array([0x7c00, 0xfc00, 0x7e00]) };
    const out = Array.from(toFloat32('s', t));
    expect(out.slice(0, 2)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(Number.isNaN(out[2])).toBe(true);
  });

  it('given BF16 values, then they widen to the float32 with the same top bits', () => {
    const t: SafeTensor = { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xc040]) };
    expect(Array.from(toFloat32('b', t))).toEqual([1, -3]);
  });

  it('given F64 values, then they narrow to float32', () => {
    expect(Array.from(toFloat32('d', { dtype: 'F64', shape: [1], data: new Float64Array([0.5]) }))).toEqual([
      0.5,
    ]);
  });

  it('given an integer tensor, then it throws a FormatError naming it', () => {
    expect(() => toFloat32('ids', { dtype: 'I32', shape: [1], data: new Int32Array(1) })).toThrow(/"ids"/);
  });
});
