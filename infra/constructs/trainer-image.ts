import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IgnoreMode } from 'aws-cdk-lib';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import type { Construct } from 'constructs';
import { REPO_ROOT } from './bundling.ts';

/** The trainer's Dockerfiles, relative to the repository root (their build context). */
export const TRAINER_DOCKERFILES = {
  gpu: 'containers/trainer/Dockerfile.gpu',
  cpu: 'containers/trainer/Dockerfile.cpu',
} as const;

/**
 * The sources a Dockerfile's `COPY` instructions name (flags such as `--chown` dropped), relative to its
 * build context, in order. Continuation lines are joined and comments ignored.
 */
export function dockerfileCopySources(dockerfileText: string): string[] {
  return dockerfileText
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^COPY\s/i.test(line))
    .flatMap((line) => {
      const parts = line
        .split(/\s+/)
        .slice(1)
        .filter((part) => !part.startsWith('--'));
      return parts.slice(0, -1);
    });
}

/**
 * What of the repository the image build may see, as Docker ignore patterns: nothing (`*`) but the
 * sources the Dockerfile copies. The CDK stages (copies and hashes) the build context at synth, so this
 * keeps node_modules, tests and local data out of the asset, and makes the image's hash change only when
 * something the image contains changes.
 */
export function buildContextExcludes(dockerfile: string): string[] {
  const sources = dockerfileCopySources(readFileSync(join(REPO_ROOT, dockerfile), 'utf8'));
  const kept = new Set(sources.map((source) => source.replace(/^\.\//, '').replace(/\/+$/, '')));
  return ['*', ...[...kept].map((source) => `!${source}`), `!${dockerfile}`];
}

/**
 * The trainer image for one queue as a Docker image asset: built from the repository root with the named
 * Dockerfile for x86-64 (the instance families the compute environments allow). At synth the CDK only
 * stages the context; `cdk deploy` builds and pushes it to the bootstrap ECR repository, so synth needs
 * no Docker.
 */
export function trainerImageAsset(scope: Construct, id: string, dockerfile: string): DockerImageAsset {
  return new DockerImageAsset(scope, id, {
    directory: REPO_ROOT,
    file: dockerfile,
    exclude: buildContextExcludes(dockerfile),
    ignoreMode: IgnoreMode.DOCKER,
    platform: Platform.LINUX_AMD64,
    displayName: `Attune trainer (${dockerfile})`,
  });
}
