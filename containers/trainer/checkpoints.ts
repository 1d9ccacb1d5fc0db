import type { ObjectStore } from '#aws/object-store.ts';
import { FormatError } from '#core/errors.ts';
import { newId } from '#core/ids.ts';
import type { CheckpointMetrics } from '#core/jobs/job-events.ts';
import { checkpointPrefix } from '#core/jobs/models.ts';
import type { JobStore } from '#core/jobs/ports.ts';
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from '#model/safetensors.ts';
import {
  type TrainingState,
  trainingStateFromSafetensors,
  trainingStateToSafetensors,
} from '#model/train-state.ts';
import { readObject } from '#trainer/object-files.ts';

/**
 * A job's training checkpoints in the bucket, under `teams/<team>/checkpoints/<jobId>/`:
 * `step-<n>/training_state.safetensors` per checkpoint, and `latest.json` naming the newest one. The
 * pointer is written only after the state is uploaded, so a process killed mid-upload leaves the previous
 * checkpoint as the one a retry resumes from (S3 has no rename, and listing would need more permissions).
 */

export const STATE_FILE = 'training_state.safetensors';
export const LATEST_FILE = 'latest.json';

interface LatestPointer {
  readonly step: number;
  readonly key: string;
}

export class JobCheckpoints {
  private readonly prefix: string;

  constructor(
    private readonly store: ObjectStore,
    private readonly jobs: Pick<JobStore, 'addCheckpoint'>,
    private readonly team: string,
    private readonly jobId: string,
  ) {
    this.prefix = checkpointPrefix(team, jobId);
  }

  /**
   * The newest checkpoint of the job, or undefined when no earlier run left one. A pointer that cannot be
   * read is a FormatError: resuming from scratch silently would redo (and bill) the steps already done.
   */
  async latest(): Promise<TrainingState | undefined> {
    if (!(await this.store.exists(this.prefix + LATEST_FILE))) return undefined;
    const text = (await readObject(this.store, this.prefix + LATEST_FILE)).toString('utf8');
    let pointer: Partial<LatestPointer> | null;
    try {
      pointer = JSON.parse(text) as Partial<LatestPointer> | null;
    } catch (cause) {
      throw new FormatError(`${this.prefix}${LATEST_FILE} is not JSON`, { cause });
    }
    if (typeof pointer?.key !== 'string') {
      throw new FormatError(`${this.prefix}${LATEST_FILE} names no checkpoint object`);
    }
    const bytes = new Uint8Array(await readObject(this.store, pointer.key));
    return trainingStateFromSafetensors(readSafetensors(bytes), readSafetensorsMetadata(bytes));
  }

  /** Uploads the state, moves the pointer to it, and lists it among the job's checkpoints. */
  async save(state: TrainingState, metrics: Omit<CheckpointMetrics, 'step'> = {}): Promise<string> {
    const stepPrefix = `${this.prefix}step-${String(state.step).padStart(8, '0')}/`;
    const { tensors, metadata } = trainingStateToSafetensors(state);
    await this.store.put(stepPrefix + STATE_FILE, writeSafetensors(tensors, metadata));
    const pointer: LatestPointer = { step: state.step, key: stepPrefix + STATE_FILE };
    await this.store.put(this.prefix + LATEST_FILE, JSON.stringify(pointer), 'application/json');
    await this.jobs.addCheckpoint(this.team, {
      id: newId('ftckpt'),
      jobId: this.jobId,
      createdAt: Math.floor(Date.now() / 1000),
      stepNumber: state.step,
      metrics: { step: state.step, ...metrics },
      objectPrefix: stepPrefix,
    });
    return stepPrefix;
  }
}
