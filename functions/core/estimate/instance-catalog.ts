import { z } from 'zod';

/**
 * The dated catalog of AWS instance types a team would train on, and the prices the estimator multiplies
 * by. Prices are on-demand, Linux, us-east-1, written down from AWS's public EC2 price list as we knew it
 * on the date each entry carries (this repository is built without web access, so each `price_source`
 * says exactly that); when deployed with credentials, the live Price List API supersedes them. Peak
 * throughputs are per device, dense (no structured sparsity), from the vendor datasheets named in
 * `peak_source`; a CPU instance is one "device" whose peak is derived from its cores, as its source says.
 */

const isoDate = z.iso.date();

const GpuSchema = z.strictObject({
  model: z.string().min(1),
  count: z.number().int().positive(),
  memory_gib: z.number().positive(),
  /** How the GPUs of one instance talk: NVLink/NVSwitch (p4d, p4de, p5) or only PCIe (g4dn, g5, g6, p3.2xlarge). */
  interconnect: z.enum(['nvswitch', 'pcie']),
});

/** One instance type; every price must say where it comes from and when. */
export const InstanceTypeSchema = z.strictObject({
  type: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/),
  kind: z.enum(['cpu', 'gpu']),
  vcpu: z.number().int().positive(),
  memory_gib: z.number().positive(),
  gpu: GpuSchema.nullable(),
  /** Dense fp32 TFLOPS of one device (one GPU, or the whole CPU of the instance). */
  peak_fp32_tflops: z.number().positive(),
  /** Dense bf16 tensor TFLOPS of one GPU; null where the device has no bf16 (T4, V100, CPUs). */
  peak_bf16_tflops: z.number().positive().nullable(),
  peak_source: z.string().min(1),
  on_demand_usd_per_hour: z.number().positive(),
  price_source: z.string().min(1),
  price_as_of: isoDate,
  /** Fraction below on-demand that spot capacity usually costs: an assumption, not a quote. */
  assumed_spot_discount: z.number().min(0).lt(1),
  spot_source: z.string().min(1),
});

export type InstanceType = z.output<typeof InstanceTypeSchema>;

/** The catalog: a region, its date, and instance types with unique names. */
export const InstanceCatalogSchema = z
  .strictObject({
    region: z.string().min(1),
    as_of: isoDate,
    instances: z.array(InstanceTypeSchema).min(1),
  })
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    catalog.instances.forEach((instance, index) => {
      if (seen.has(instance.type)) {
        ctx.addIssue({ code: 'custom', path: ['instances', index, 'type'], message: 'duplicate type' });
      }
      seen.add(instance.type);
      if ((instance.kind === 'gpu') !== (instance.gpu !== null)) {
        ctx.addIssue({ code: 'custom', path: ['instances', index, 'gpu'], message: 'gpu must match kind' });
      }
    });
  });

export type InstanceCatalog = z.output<typeof InstanceCatalogSchema>;

const PRICE_DATE = '2024-06-01';
const PRICE_SOURCE =
  'AWS EC2 On-Demand pricing page (aws.amazon.com/ec2/pricing/on-demand), Linux, us-east-1, as recalled for 2024-06-01 without web access: verify before relying on it';
const P_SERIES_PRICE_SOURCE = `${PRICE_SOURCE}; AWS announced cuts of up to 45% to P4/P5 on-demand prices in June 2025, which this figure predates`;
const SPOT_SOURCE =
  'assumption: a typical saving for this family in the AWS Spot Instance Advisor; spot prices move hourly and capacity can be reclaimed';

/** Sapphire Rapids (c7i/m7i): 2 AVX-512 FMA units × 16 fp32 lanes × 2 = 64 FLOP/cycle/core at 3.2 GHz. */
const xeonTflops = (vcpu: number): number => ((vcpu / 2) * 64 * 3.2e9) / 1e12;
const XEON_SOURCE =
  'derived: vCPU/2 physical cores × 64 fp32 FLOP/cycle (2×AVX-512 FMA) × 3.2 GHz all-core turbo (Intel Xeon 4th gen)';
/** Graviton3 (c7g): one core per vCPU, 2×256-bit SVE FMA = 32 fp32 FLOP/cycle at 2.6 GHz. */
const gravitonTflops = (vcpu: number): number => (vcpu * 32 * 2.6e9) / 1e12;
const GRAVITON_SOURCE =
  'derived: vCPU (one core each) × 32 fp32 FLOP/cycle (2×256-bit SVE FMA) × 2.6 GHz (AWS Graviton3)';

function cpu(type: string, vcpu: number, memoryGib: number, usd: number, family: 'xeon' | 'graviton') {
  return {
    type,
    kind: 'cpu' as const,
    vcpu,
    memory_gib: memoryGib,
    gpu: null,
    peak_fp32_tflops: family === 'xeon' ? xeonTflops(vcpu) : gravitonTflops(vcpu),
    peak_bf16_tflops: null,
    peak_source: family === 'xeon' ? XEON_SOURCE : GRAVITON_SOURCE,
    on_demand_usd_per_hour: usd,
    price_source: PRICE_SOURCE,
    price_as_of: PRICE_DATE,
    assumed_spot_discount: 0.6,
    spot_source: SPOT_SOURCE,
  };
}

const T4 = {
  model: 'NVIDIA T4',
  memory_gib: 16,
  fp32: 8.1,
  bf16: null,
  source: 'NVIDIA T4 datasheet: 8.1 TFLOPS fp32; no bf16 (65 TFLOPS fp16)',
};
const A10G = {
  model: 'NVIDIA A10G',
  memory_gib: 24,
  fp32: 31.2,
  bf16: 70,
  source: 'NVIDIA A10G (AWS G5) specifications: 31.2 TFLOPS fp32, 70 TFLOPS bf16 tensor dense',
};
const L4 = {
  model: 'NVIDIA L4',
  memory_gib: 24,
  fp32: 30.3,
  bf16: 121,
  source: 'NVIDIA L4 datasheet: 30.3 TFLOPS fp32, 121 TFLOPS bf16 tensor dense (242 with sparsity)',
};
const V100 = {
  model: 'NVIDIA V100 SXM2 16GB',
  memory_gib: 16,
  fp32: 15.7,
  bf16: null,
  source: 'NVIDIA V100 datasheet: 15.7 TFLOPS fp32; no bf16 (125 TFLOPS fp16 tensor)',
};
const A100_40 = {
  model: 'NVIDIA A100 SXM4 40GB',
  memory_gib: 40,
  fp32: 19.5,
  bf16: 312,
  source: 'NVIDIA A100 datasheet: 19.5 TFLOPS fp32, 312 TFLOPS bf16 tensor dense',
};
const A100_80 = { ...A100_40, model: 'NVIDIA A100 SXM4 80GB', memory_gib: 80 };
const H100 = {
  model: 'NVIDIA H100 SXM5 80GB',
  memory_gib: 80,
  fp32: 67,
  bf16: 989,
  source: 'NVIDIA H100 SXM datasheet: 67 TFLOPS fp32, 989 TFLOPS bf16 tensor dense (1979 with sparsity)',
};

type GpuSpec = typeof A10G | typeof T4;

function gpu(
  type: string,
  vcpu: number,
  memoryGib: number,
  spec: GpuSpec,
  count: number,
  usd: number,
  options: { spot: number; priceSource?: string; nvswitch?: boolean },
) {
  return {
    type,
    kind: 'gpu' as const,
    vcpu,
    memory_gib: memoryGib,
    gpu: {
      model: spec.model,
      count,
      memory_gib: spec.memory_gib,
      interconnect: options.nvswitch ? ('nvswitch' as const) : ('pcie' as const),
    },
    peak_fp32_tflops: spec.fp32,
    peak_bf16_tflops: spec.bf16,
    peak_source: spec.source,
    on_demand_usd_per_hour: usd,
    price_source: options.priceSource ?? PRICE_SOURCE,
    price_as_of: PRICE_DATE,
    assumed_spot_discount: options.spot,
    spot_source: SPOT_SOURCE,
  };
}

const RAW_CATALOG = {
  region: 'us-east-1',
  as_of: PRICE_DATE,
  instances: [
    cpu('c7i.large', 2, 4, 0.08925, 'xeon'),
    cpu('c7i.xlarge', 4, 8, 0.1785, 'xeon'),
    cpu('c7i.2xlarge', 8, 16, 0.357, 'xeon'),
    cpu('c7i.4xlarge', 16, 32, 0.714, 'xeon'),
    cpu('c7i.8xlarge', 32, 64, 1.428, 'xeon'),
    cpu('m7i.xlarge', 4, 16, 0.2016, 'xeon'),
    cpu('m7i.2xlarge', 8, 32, 0.4032, 'xeon'),
    cpu('m7i.4xlarge', 16, 64, 0.8064, 'xeon'),
    cpu('c7g.large', 2, 4, 0.0725, 'graviton'),
    cpu('c7g.xlarge', 4, 8, 0.145, 'graviton'),
    cpu('c7g.2xlarge', 8, 16, 0.29, 'graviton'),
    cpu('c7g.4xlarge', 16, 32, 0.58, 'graviton'),
    gpu('g4dn.xlarge', 4, 16, T4, 1, 0.526, { spot: 0.65 }),
    gpu('g5.xlarge', 4, 16, A10G, 1, 1.006, { spot: 0.6 }),
    gpu('g5.2xlarge', 8, 32, A10G, 1, 1.212, { spot: 0.6 }),
    gpu('g5.4xlarge', 16, 64, A10G, 1, 1.624, { spot: 0.6 }),
    gpu('g5.8xlarge', 32, 128, A10G, 1, 2.448, { spot: 0.6 }),
    gpu('g5.16xlarge', 64, 256, A10G, 1, 4.096, { spot: 0.6 }),
    gpu('g6.xlarge', 4, 16, L4, 1, 0.8048, { spot: 0.6 }),
    gpu('p3.2xlarge', 8, 61, V100, 1, 3.06, { spot: 0.7 }),
    gpu('g5.12xlarge', 48, 192, A10G, 4, 5.672, { spot: 0.6 }),
    gpu('g5.48xlarge', 192, 768, A10G, 8, 16.288, { spot: 0.6 }),
    gpu('p4d.24xlarge', 96, 1152, A100_40, 8, 32.7726, {
      spot: 0.6,
      priceSource: P_SERIES_PRICE_SOURCE,
      nvswitch: true,
    }),
    gpu('p4de.24xlarge', 96, 1152, A100_80, 8, 40.9657, {
      spot: 0.6,
      priceSource: P_SERIES_PRICE_SOURCE,
      nvswitch: true,
    }),
    gpu('p5.48xlarge', 192, 2048, H100, 8, 98.32, {
      spot: 0.5,
      priceSource: P_SERIES_PRICE_SOURCE,
      nvswitch: true,
    }),
  ],
};

/** The catalog, validated once at load so a bad edit fails every test, not one estimate in production. */
export const INSTANCE_CATALOG: InstanceCatalog = InstanceCatalogSchema.parse(RAW_CATALOG);

/** S3 Standard storage, first 50 TB, us-east-1: what a stored artifact costs to keep. */
export const S3_STANDARD_STORAGE = {
  usd_per_gb_month: 0.023,
  source:
    'Amazon S3 pricing page (aws.amazon.com/s3/pricing), S3 Standard first 50 TB/month, us-east-1, as recalled for 2024-06-01 without web access',
  as_of: PRICE_DATE,
} as const;
