import { INSTANCE_CATALOG, type InstanceType } from '#core/estimate/instance-catalog.ts';
import { fitsDevice } from '#core/estimate/memory.ts';
import type { RunEstimate } from '#core/estimate/run-estimate.ts';
import type { JobRecord, QueueKind } from '#core/jobs/job.ts';
import type { JobStatus } from '#core/jobs/job-status.ts';

/**
 * Where a job runs and with what: full fine-tunes on the GPU queue; prompt tunes on the queue of small
 * CPU instances unless the frozen model and its activations do not fit the largest of them, in which case
 * the GPU queue, with the reason written on the job. Resources and the timeout come from the estimate the
 * job was accepted under.
 */
export interface DispatchPlan {
  readonly queue: QueueKind;
  readonly reason: string;
  readonly instanceType: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly gpus: number;
  /** Batch's attempt timeout: a run that overstays its estimate this much is stuck, not slow. */
  readonly timeoutSeconds: number;
}

/** What the job needs from a dispatcher: the job's identity, how it runs and, to cancel, where it is. */
export interface DispatchedJob {
  readonly team: string;
  readonly id: string;
  readonly batchJobId: string;
  readonly status: JobStatus;
}

/**
 * Sends jobs to where they train. AWS Batch in the cloud; the embedded stack's local runner implements the
 * same interface, so the API and the status handler never know which one they talk to.
 */
export interface JobDispatcher {
  /** Starts the job; returns the id of the run (the Batch job id). */
  submit(job: JobRecord, plan: DispatchPlan): Promise<{ batchJobId: string }>;
  /** Stops the run: cancelled while it waits, terminated once it runs. Idempotent. */
  cancel(job: DispatchedJob, reason: string): Promise<void>;
}

/** The timeout is this many times the estimated wall-clock time, and never under `MIN_TIMEOUT_SECONDS`. */
export const TIMEOUT_FACTOR = 3;
export const MIN_TIMEOUT_SECONDS = 1800;
export const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
/** Memory the ECS agent and the OS keep on an instance: a job asking for all of it would never be placed. */
export const INSTANCE_MEMORY_RESERVE = 0.1;

const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

const byMemory = (a: InstanceType, b: InstanceType) =>
  a.memory_gib - b.memory_gib || a.on_demand_usd_per_hour - b.on_demand_usd_per_hour;

/**
 * The instance types of the small-instance queue's compute environment (the CDK construct uses this list
 * too): CPU boxes of up to 16 GiB, cheap enough to keep idle capacity at zero and start in a minute.
 */
export const SMALL_INSTANCE_TYPES: readonly string[] = [
  'c7i.large',
  'c7i.xlarge',
  'c7i.2xlarge',
  'm7i.xlarge',
];

/** Every CPU instance type of the catalog, smallest (then cheapest) first: what the CPU queue's compute environment allows. */
export function allCpuInstances(): InstanceType[] {
  return INSTANCE_CATALOG.instances.filter((i) => i.gpu === null).sort(byMemory);
}

function smallInstances(types: readonly string[]): InstanceType[] {
  return INSTANCE_CATALOG.instances.filter((i) => i.gpu === null && types.includes(i.type)).sort(byMemory);
}

function singleGpuInstances(): InstanceType[] {
  return INSTANCE_CATALOG.instances
    .filter((i) => i.gpu?.count === 1)
    .sort(
      (a, b) =>
        a.on_demand_usd_per_hour - b.on_demand_usd_per_hour ||
        (a.gpu?.memory_gib ?? 0) - (b.gpu?.memory_gib ?? 0),
    );
}

function instanceNamed(type: string | undefined): InstanceType | undefined {
  return INSTANCE_CATALOG.instances.find((i) => i.type === type);
}

/** The GPU instance to use: the estimate's own when it chose a single GPU, else the cheapest GPU that fits. */
function gpuInstanceFor(run: RunEstimate): InstanceType | undefined {
  const chosen = instanceNamed(run.plan?.instance_type);
  if (chosen?.gpu?.count === 1 && run.plan?.runs_on === 'attune') return chosen;
  return singleGpuInstances().find((i) => fitsDevice(run.memory.total_bytes, i.gpu?.memory_gib ?? 0));
}

function noInstance(run: RunEstimate, what: string): RangeError {
  return new RangeError(
    `no ${what} of the catalog holds ${gib(run.memory.total_bytes)}: the estimate should have refused this job`,
  );
}

function timeoutFor(run: RunEstimate, instance: InstanceType): number {
  const planned = instanceNamed(run.plan?.instance_type);
  const hours = run.wall_clock_hours ?? 0;
  // An estimate priced on a faster device than the one the job gets runs proportionally longer.
  const slowdown = planned ? Math.max(1, planned.peak_fp32_tflops / instance.peak_fp32_tflops) : 1;
  const seconds = Math.ceil(hours * 3600 * slowdown * TIMEOUT_FACTOR);
  return Math.min(MAX_TIMEOUT_SECONDS, Math.max(MIN_TIMEOUT_SECONDS, seconds));
}

function planOn(queue: QueueKind, instance: InstanceType, reason: string, run: RunEstimate): DispatchPlan {
  return {
    queue,
    reason,
    instanceType: instance.type,
    vcpus: instance.vcpu,
    memoryMiB: Math.floor(instance.memory_gib * 1024 * (1 - INSTANCE_MEMORY_RESERVE)),
    gpus: instance.gpu?.count ?? 0,
    timeoutSeconds: timeoutFor(run, instance),
  };
}

/**
 * Chooses the queue and resources of a job from the estimate of its run (which must be feasible):
 * - a full fine-tune: the GPU queue;
 * - a prompt tune: the smallest small instance that holds it; else a single GPU that does; else (more
 *   than any single GPU holds, which a frozen model in fp32 can need) a large CPU instance, which the
 *   estimator also counts as Attune's. Every choice off the small instances says why.
 */
export function planDispatch(run: RunEstimate, smallInstanceTypes = SMALL_INSTANCE_TYPES): DispatchPlan {
  const need = run.memory.total_bytes;
  if (run.method === 'supervised') {
    const instance = gpuInstanceFor(run);
    if (!instance) throw noInstance(run, 'single-GPU instance');
    return planOn('gpu', instance, `full fine-tuning trains every weight: GPU queue (${instance.type})`, run);
  }
  const small = smallInstances(smallInstanceTypes);
  const fitsSmall = small.find((i) => fitsDevice(need, i.memory_gib));
  if (fitsSmall) {
    return planOn(
      'cpu',
      fitsSmall,
      `prompt tuning keeps the model frozen: ${gib(need)} fits a small instance (${fitsSmall.type}, ${fitsSmall.memory_gib} GiB)`,
      run,
    );
  }
  const largest = small[small.length - 1];
  const tooBig = `the frozen model and its activations need ${gib(need)}, more than the largest small instance holds (${largest?.type ?? 'none'}, ${largest?.memory_gib ?? 0} GiB)`;
  const gpu = gpuInstanceFor(run);
  if (gpu) return planOn('gpu', gpu, `${tooBig}: GPU queue (${gpu.type})`, run);
  const large = allCpuInstances().find((i) => fitsDevice(need, i.memory_gib));
  if (!large) throw noInstance(run, 'instance');
  return planOn(
    'cpu',
    large,
    `${tooBig} and more than a single GPU holds: large CPU instance (${large.type})`,
    run,
  );
}
