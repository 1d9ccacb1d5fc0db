import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ObjectStore } from '#aws/object-store.ts';
import { NotFoundError } from '#core/errors.ts';
import { DEFAULT_VIRTUAL_TOKENS, parseHyperparameters } from '#core/hyperparameters.ts';
import type { JobRecord, MeasuredRun } from '#core/jobs/job.ts';
import { logJobEvent } from '#core/jobs/job-lifecycle.ts';
import { modelArtifactPrefix } from '#core/jobs/models.ts';
import type { JobStore, ModelStore } from '#core/jobs/ports.ts';
import { parseTrainingJsonl, prepareExamples } from '#model/data.ts';
import { disposeGpt2Weights } from '#model/gpt2.ts';
import {
  CONFIG_FILE,
  loadModelDir,
  type ModelDir,
  saveModelDir,
  TOKENIZER_FILE,
  WEIGHTS_FILE,
} from '#model/model-dir.ts';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  savePeftPrompt,
  trainedPromptConfig,
} from '#model/soft-prompt.ts';
import { loadTokenizer } from '#model/tokenizer.ts';
import { type TrainModelResult, trainModel } from '#model/train.ts';
import { TRAINING_RECORD_FILE } from '#model/train-local.ts';
import { JobCheckpoints } from '#trainer/checkpoints.ts';
import type { TrainerEnv } from '#trainer/env.ts';
import { type FileLookup, fetchFileText, fetchModelDir } from '#trainer/job-inputs.ts';
import { lineLog, type TrainerLog } from '#trainer/logger.ts';
import { MetricsReporter } from '#trainer/metrics-reporter.ts';
import { uploadFiles } from '#trainer/object-files.ts';

/**
 * One training job from its record to its artifact in the bucket: what the Batch container does between
 * start-up and exit. A retry of the same job resumes from the newest checkpoint; an abort (SIGTERM)
 * checkpoints and returns `interrupted` so the process can exit non-zero and let Batch retry it.
 */

export interface RunJobDeps {
  readonly env: TrainerEnv;
  readonly jobs: JobStore;
  readonly models: Pick<ModelStore, 'get'>;
  readonly files: FileLookup;
  readonly store: ObjectStore;
  readonly signal: AbortSignal;
  readonly logger: TrainerLog;
  /** TF.js's name for the backend in use (`initBackend`'s answer), recorded with the measured throughput. */
  readonly backend: string;
}

export type RunJobOutcome =
  | {
      readonly status: 'succeeded';
      /** Steps trained by this process (fewer than the run's total after a resume). */
      readonly stepsThisRun: number;
      readonly resumedAtStep: number;
      readonly trainedTokens: number;
      readonly artifactPrefix: string;
      readonly files: readonly string[];
    }
  | { readonly status: 'interrupted'; readonly step: number };

export async function runJob(deps: RunJobDeps): Promise<RunJobOutcome> {
  const { env } = deps;
  const job = await deps.jobs.get(env.team, env.jobId);
  if (!job) throw new NotFoundError(`job ${env.jobId} of team ${env.team} does not exist`);
  const work = await mkdtemp(path.join(env.workDir ?? tmpdir(), `attune-${job.id}-`));
  try {
    const modelDir = await fetchModelDir(job, { ...deps, baseModelsRoot: env.baseModelsRoot }, work);
    const model = await loadModelDir(modelDir);
    try {
      return await trainAndUpload(deps, job, model, work);
    } finally {
      disposeGpt2Weights(model.weights);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function trainAndUpload(
  deps: RunJobDeps,
  job: JobRecord,
  model: ModelDir,
  work: string,
): Promise<RunJobOutcome> {
  const method = job.method.type;
  const hyperparameters = parseHyperparameters(method, job.method.hyperparameters);
  const tokenizer = loadTokenizer(model.tokenizerJson);
  const virtual =
    method === 'prompt_tuning' ? (hyperparameters.num_virtual_tokens ?? DEFAULT_VIRTUAL_TOKENS) : 0;
  const maxLength = Math.max(2, model.config.n_positions - virtual);
  const load = async (fileId: string) =>
    prepareExamples(parseTrainingJsonl(await fetchFileText(job.team, fileId, deps)), tokenizer, {
      maxLength,
    });
  const train = await load(job.trainingFile);
  const validation = job.validationFile ? await load(job.validationFile) : undefined;

  const checkpoints = new JobCheckpoints(deps.store, deps.jobs, job.team, job.id);
  const resumeFrom = await checkpoints.latest();
  const resumedAtStep = resumeFrom?.step ?? 0;
  const reporter = new MetricsReporter(
    deps.jobs,
    job.team,
    job.id,
    deps.env.metricsIntervalMs,
    Date.now,
    deps.logger,
  );
  await logJobEvent({ jobs: deps.jobs }, job, 'info', trainingStartMessage(deps.env.attempt, resumedAtStep), {
    attempt: deps.env.attempt,
    resumed_at_step: resumedAtStep,
  });
  let lastTrainLoss: number | undefined;
  const initText = hyperparameters.prompt_tuning_init_text;
  const result: TrainModelResult = await trainModel({
    config: model.config,
    weights: model.weights,
    method,
    train: train.examples,
    ...(validation ? { validation: validation.examples } : {}),
    hyperparameters: job.method.hyperparameters,
    seed: job.seed,
    ...(initText === undefined ? {} : { promptInitTextIds: tokenizer.encode(initText) }),
    checkpointEvery: deps.env.checkpointEvery,
    onStep: async (m) => {
      lastTrainLoss = m.trainLoss;
      await reporter.onStep(m);
    },
    onCheckpoint: async (state) => {
      const at = await checkpoints.save(state, {
        ...(lastTrainLoss === undefined ? {} : { train_loss: lastTrainLoss }),
        ...reporter.validation,
      });
      deps.logger.info(`Checkpoint at step ${state.step}`, {
        event: 'checkpoint',
        step: state.step,
        prefix: at,
      });
    },
    signal: deps.signal,
    ...(resumeFrom ? { resumeFrom } : {}),
    log: lineLog(deps.logger),
  });
  try {
    if (result.status === 'aborted') return { status: 'interrupted', step: result.metrics.steps };
    const out = path.join(work, 'out');
    await mkdir(out, { recursive: true });
    const prepared = {
      truncated: train.truncated + (validation?.truncated ?? 0),
      dropped: train.dropped + (validation?.dropped ?? 0),
    };
    const files = await writeArtifact(out, job, model, result, prepared);
    const artifactPrefix = modelArtifactPrefix(job.team, job.id);
    await uploadFiles(deps.store, out, files, artifactPrefix);
    const recorded = await deps.jobs.recordProgress(job.team, job.id, {
      trainedTokens: result.metrics.trainedTokens,
      estimatedFinish: null,
      ...measuredRun(result, resumeFrom?.trainedTokens ?? 0, deps.backend),
    });
    if (!recorded) {
      deps.logger.warn('trained tokens not recorded: the job is not running', { event: 'warning' });
    }
    return {
      status: 'succeeded',
      stepsThisRun: result.metrics.steps - resumedAtStep,
      resumedAtStep,
      trainedTokens: result.metrics.trainedTokens,
      artifactPrefix,
      files,
    };
  } finally {
    result.prompt?.dispose();
  }
}

/**
 * This process's training throughput, for calibration: the steps it trained (after a resume, only those),
 * over the seconds they took. Nothing when it trained no step (resumed at the end).
 */
function measuredRun(
  result: TrainModelResult,
  tokensBefore: number,
  backend: string,
): { measured?: MeasuredRun } {
  const { tokensPerSecond } = result.metrics;
  if (!(tokensPerSecond > 0)) return {};
  const tokensThisRun = result.metrics.trainedTokens - tokensBefore;
  return { measured: { tokensPerSecond, trainingSeconds: tokensThisRun / tokensPerSecond, backend } };
}

function trainingStartMessage(attempt: number, resumedAtStep: number): string {
  const where = resumedAtStep > 0 ? `resuming from the checkpoint at step ${resumedAtStep}` : 'from step 0';
  return `Training started (attempt ${attempt}), ${where}`;
}

/** The job's artifact in `out`: a model directory, or a PEFT prompt adapter; returns the file names. */
async function writeArtifact(
  out: string,
  job: JobRecord,
  model: ModelDir,
  result: TrainModelResult,
  prepared: { truncated: number; dropped: number },
): Promise<string[]> {
  const h = result.hyperparameters;
  const files: string[] = [];
  if (result.prompt) {
    await savePeftPrompt(
      out,
      result.prompt,
      trainedPromptConfig(job.model, model.config, h, result.prompt.shape[0]),
    );
    files.push(ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE);
  } else {
    await saveModelDir(out, model);
    files.push(CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE);
  }
  const record = {
    job: job.id,
    method: job.method.type,
    base_model: job.model,
    hyperparameters: h,
    metrics: { ...result.metrics, truncatedExamples: result.metrics.truncatedExamples + prepared.truncated },
    dropped_examples: prepared.dropped,
  };
  await writeFile(path.join(out, TRAINING_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
  files.push(TRAINING_RECORD_FILE);
  return files;
}
