import { describe, expect, it } from 'vitest';
import {
  INSTANCE_CATALOG,
  InstanceCatalogSchema,
  S3_STANDARD_STORAGE,
} from '#core/estimate/instance-catalog.ts';
import {
  ATTUNE_TINY,
  countParameters,
  findCatalogModel,
  MODEL_CATALOG,
} from '#core/estimate/model-catalog.ts';

describe('instance catalog', () => {
  it('given every instance, then each price has a source, a date no later than the catalog date, and a spot assumption', () => {
    for (const instance of INSTANCE_CATALOG.instances) {
      expect(instance.price_source.length, instance.type).toBeGreaterThan(20);
      expect(instance.price_as_of, instance.type).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(instance.price_as_of <= INSTANCE_CATALOG.as_of, instance.type).toBe(true);
      expect(instance.spot_source.length, instance.type).toBeGreaterThan(0);
      expect(instance.peak_source.length, instance.type).toBeGreaterThan(0);
    }
  });

  it('given the S3 storage price, then it has a source and a date', () => {
    expect(S3_STANDARD_STORAGE.source).toContain('S3');
    expect(S3_STANDARD_STORAGE.as_of).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('given the families the issue names, then each is in the catalog with the GPU it is known for', () => {
    const gpuOf = (type: string) => INSTANCE_CATALOG.instances.find((i) => i.type === type)?.gpu;
    expect(gpuOf('g4dn.xlarge')).toMatchObject({ model: 'NVIDIA T4', count: 1, memory_gib: 16 });
    expect(gpuOf('g5.xlarge')).toMatchObject({ model: 'NVIDIA A10G', count: 1, memory_gib: 24 });
    expect(gpuOf('g6.xlarge')).toMatchObject({ model: 'NVIDIA L4', count: 1, memory_gib: 24 });
    expect(gpuOf('p3.2xlarge')).toMatchObject({ count: 1, memory_gib: 16 });
    expect(gpuOf('g5.12xlarge')).toMatchObject({ count: 4, memory_gib: 24 });
    expect(gpuOf('g5.48xlarge')).toMatchObject({ count: 8, memory_gib: 24 });
    expect(gpuOf('p4d.24xlarge')).toMatchObject({ count: 8, memory_gib: 40, interconnect: 'nvswitch' });
    expect(gpuOf('p4de.24xlarge')).toMatchObject({ count: 8, memory_gib: 80 });
    expect(gpuOf('p5.48xlarge')).toMatchObject({ model: 'NVIDIA H100 SXM5 80GB', count: 8 });
    for (const cpu of ['c7i.xlarge', 'm7i.xlarge', 'c7g.xlarge']) expect(gpuOf(cpu)).toBeNull();
  });

  it('given a price without a source, when the catalog is validated, then it is rejected naming the field', () => {
    const [first] = INSTANCE_CATALOG.instances;
    const broken = { ...INSTANCE_CATALOG, instances: [{ ...first, price_source: '' }] };
    const result = InstanceCatalogSchema.safeParse(broken);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['instances', 0, 'price_source']);
  });

  it('given a price without a date, when the catalog is validated, then it is rejected', () => {
    const [first] = INSTANCE_CATALOG.instances;
    const broken = { ...INSTANCE_CATALOG, instances: [{ ...first, price_as_of: 'last year' }] };
    expect(InstanceCatalogSchema.safeParse(broken).success).toBe(false);
  });

  it('given the same type twice, when the catalog is validated, then it is rejected', () => {
    const [first] = INSTANCE_CATALOG.instances;
    const broken = { ...INSTANCE_CATALOG, instances: [first, first] };
    expect(InstanceCatalogSchema.safeParse(broken).success).toBe(false);
  });
});

describe('model catalog', () => {
  it.each([
    ['gpt2', 124_439_808],
    ['gpt2-medium', 354_823_168],
    ['gpt2-large', 774_030_080],
    ['gpt2-xl', 1_557_611_200],
    ['tinyllama-1.1b', 1_100_048_384],
    ['llama-2-7b', 6_738_415_616],
    ['llama-2-13b', 13_015_864_320],
    ['llama-2-70b', 68_976_648_192],
  ])(
    'given %s, when its parameters are counted, then they match the published checkpoint (%i)',
    (name, expected) => {
      const model = findCatalogModel(name);
      expect(model).toBeDefined();
      expect(countParameters(model as NonNullable<typeof model>)).toBe(expected);
    },
  );

  it("given Attune's built-in model, then it has the shape the model issue defines", () => {
    expect(ATTUNE_TINY).toMatchObject({
      n_layer: 4,
      n_head: 4,
      n_embd: 128,
      n_positions: 256,
      vocab_size: 4096,
    });
  });

  it('given the catalog, then every name is unique and every model says where its shape comes from', () => {
    const names = MODEL_CATALOG.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const model of MODEL_CATALOG) expect(model.source.length).toBeGreaterThan(0);
  });

  it('given an unknown name, then no model is found', () => {
    expect(findCatalogModel('gpt-5')).toBeUndefined();
  });
});
