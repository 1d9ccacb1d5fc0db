import { readdir, readFile } from 'node:fs/promises';

/**
 * Finds the trainer process the embedded stack's local runner started for a job, the way an operator
 * would with `ps`: a process running containers/trainer/main.ts whose environment names the job
 * (`ATTUNE_JOB_ID`, which the runner sets as Batch would). Linux only (/proc), like the CI machines.
 */
export async function trainerPidOf(jobId: string): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('containers/trainer/main.ts')) continue;
      const environ = (await readFile(`/proc/${entry}/environ`, 'utf8')).split('\0');
      if (environ.includes(`ATTUNE_JOB_ID=${jobId}`)) return Number(entry);
    } catch {
      // The process ended while it was being read.
    }
  }
  return undefined;
}

/** True while a process with this pid exists (and is not a zombie its parent has yet to reap). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}
