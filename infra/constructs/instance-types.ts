import { InstanceType } from 'aws-cdk-lib/aws-ec2';
import { ConfigError } from '#core/errors.ts';

/** Which trainer image a compute environment runs, and so which instance families make sense for it. */
export type TrainerKind = 'gpu' | 'cpu';

/** An EC2 instance type: family and size (`g5.xlarge`). */
const INSTANCE_TYPE = /^([a-z][a-z0-9-]*)\.[a-z0-9]+$/;
/** NVIDIA GPU families start with g or p and a generation digit (g4dn, g5, g6e, p3, p4d, p5). */
const GPU_FAMILY = /^[gp]\d/;
/** g4ad carries AMD Radeon GPUs, which CUDA (and so tfjs-node-gpu) cannot use. */
const AMD_GPU_FAMILY = /^g4ad$/;
/** Graviton (arm64) families: a1, and a `g` right after the generation (c7g, m6gd, g5g, c7gn). */
const ARM_FAMILY = /^(a1|[a-z]+\d+g[a-z]*)$/;

/**
 * Checks the instance types a trainer compute environment may launch and returns them as CDK instance
 * types. The trainer images are built for x86-64, the GPU image needs an NVIDIA GPU and the CPU image has
 * no CUDA, so an arm64, AMD-GPU or wrong-kind family is a mistake that would only show as jobs stuck
 * RUNNABLE after deployment; it is rejected here instead, with the reason.
 *
 * @param what the name the error calls the list by, e.g. the construct path and prop
 */
export function trainerInstanceTypes(
  what: string,
  kind: TrainerKind,
  names: readonly string[],
): InstanceType[] {
  if (names.length === 0) throw new ConfigError(`${what} must name at least one instance type`);
  const seen = new Set<string>();
  return names.map((name) => {
    const family = INSTANCE_TYPE.exec(name)?.[1];
    if (family === undefined) {
      throw new ConfigError(`${what}: "${name}" is not an EC2 instance type (family.size, e.g. g5.xlarge)`);
    }
    if (seen.has(name)) throw new ConfigError(`${what}: "${name}" is listed twice`);
    seen.add(name);
    if (ARM_FAMILY.test(family)) {
      throw new ConfigError(`${what}: "${name}" is an arm64 (Graviton) type; the trainer images are x86-64`);
    }
    const gpu = GPU_FAMILY.test(family);
    if (kind === 'gpu' && (!gpu || AMD_GPU_FAMILY.test(family))) {
      throw new ConfigError(
        `${what}: "${name}" has no NVIDIA GPU; the GPU trainer needs one (e.g. g5, g6, p4d)`,
      );
    }
    if (kind === 'cpu' && gpu) {
      throw new ConfigError(
        `${what}: "${name}" is a GPU type; the CPU trainer image cannot use its GPU, so it would only cost more`,
      );
    }
    return new InstanceType(name);
  });
}

/** Checks a compute environment's vCPU ceiling: a whole number from 1 to Batch's 10 000 000 limit. */
export function requireMaxVcpus(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 10_000_000) {
    throw new ConfigError(`${what} must be a whole number of vCPUs, at least 1, got ${value}`);
  }
  return value;
}
