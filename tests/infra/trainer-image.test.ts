import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/constructs/bundling.ts';
import {
  buildContextExcludes,
  dockerfileCopySources,
  TRAINER_DOCKERFILES,
} from '../../infra/constructs/trainer-image.ts';
import { trainingStack } from './training-stack.ts';

/**
 * The trainer images are staged, not built, at synth: these tests check that what the CDK stages is the
 * build context each Dockerfile needs (tests/unit/trainer/dockerfiles.test.ts checks the Dockerfiles'
 * COPY sources and entrypoint against the repository).
 */

describe('dockerfileCopySources', () => {
  it('Given COPY lines with flags, continuations and comments, then it returns each source in order', () => {
    const text = [
      'FROM node:22',
      '# COPY not/this ./',
      'COPY --chown=node:node package.json tsconfig.json ./',
      'copy functions/core/ \\',
      '  ./functions/core/',
      'RUN npm ci',
    ].join('\n');
    expect(dockerfileCopySources(text)).toEqual(['package.json', 'tsconfig.json', 'functions/core/']);
  });

  it('Given a Dockerfile without COPY, then it returns nothing', () => {
    expect(dockerfileCopySources('FROM scratch\nRUN true\n')).toEqual([]);
  });
});

describe('buildContextExcludes', () => {
  it('Given the GPU Dockerfile, then everything is excluded but its COPY sources and itself', () => {
    expect(buildContextExcludes(TRAINER_DOCKERFILES.gpu)).toEqual([
      '*',
      '!containers/trainer/image/package.json',
      '!containers/trainer/image/package-lock.json',
      '!package.json',
      '!tsconfig.json',
      '!functions/core',
      '!functions/aws',
      '!functions/model',
      '!containers/trainer',
      '!models',
      '!containers/trainer/Dockerfile.gpu',
    ]);
  });
});

describe('the staged trainer images', () => {
  const { app, stack } = trainingStack();
  const assembly = app.synth();
  const manifest = assembly.tryGetArtifact(`${stack.artifactId}.assets`) as AssetManifestArtifact;
  const images = Object.values(manifest.contents.dockerImages ?? {});

  it.each(Object.values(TRAINER_DOCKERFILES))(
    'Given %s, when the app is synthesised, then its staged context holds every source it copies',
    (dockerfile) => {
      const image = images.find((candidate) => candidate.source.dockerFile === dockerfile);
      const staged = join(assembly.directory, image?.source.directory ?? 'missing');
      const sources = dockerfileCopySources(readFileSync(join(REPO_ROOT, dockerfile), 'utf8'));
      for (const source of sources) expect(existsSync(join(staged, source)), source).toBe(true);
      expect(existsSync(join(staged, dockerfile))).toBe(true);
    },
  );

  it('Given the staged contexts, then neither holds node_modules, tests or local data', () => {
    expect(images).toHaveLength(2);
    for (const image of images) {
      const top = readdirSync(join(assembly.directory, image.source.directory ?? 'missing')).sort();
      expect(top).toEqual(['containers', 'functions', 'models', 'package.json', 'tsconfig.json']);
    }
  });
});
