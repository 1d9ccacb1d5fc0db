import path from 'node:path';
import type { ObjectStore } from '#aws/object-store.ts';
import { NotFoundError } from '#core/errors.ts';
import type { FileRecord } from '#core/files.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import type { ModelStore } from '#core/jobs/ports.ts';
import { CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE } from '#model/model-dir.ts';
import { resolveModelSource } from '#trainer/model-source.ts';
import { downloadFiles, readObject } from '#trainer/object-files.ts';

/** Fetching what a job names (its model and its files) onto the trainer's disk. */

export interface FileLookup {
  get(team: string, fileId: string): Promise<FileRecord | undefined>;
}

/** A local directory holding the job's model: the image's own copy of a base model, or a download. */
export async function fetchModelDir(
  job: Pick<JobRecord, 'team' | 'model'>,
  deps: { models: Pick<ModelStore, 'get'>; store: ObjectStore; baseModelsRoot: string },
  workDir: string,
): Promise<string> {
  const source = await resolveModelSource(job, deps.models, deps.baseModelsRoot);
  if (source.kind === 'local') return source.dir;
  const dir = path.join(workDir, 'model');
  await downloadFiles(deps.store, source.prefix, [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE], dir);
  return dir;
}

/** The text of one of the team's files; a file that is gone (deleted after the job was created) fails. */
export async function fetchFileText(
  team: string,
  fileId: string,
  deps: { files: FileLookup; store: ObjectStore },
): Promise<string> {
  const record = await deps.files.get(team, fileId);
  if (!record) throw new NotFoundError(`file ${fileId} of team ${team} no longer exists`);
  return (await readObject(deps.store, record.objectKey)).toString('utf8');
}
