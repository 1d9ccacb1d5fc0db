import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAMBDA_ESBUILD_TARGET, LAMBDA_RUNTIME, REPO_ROOT } from '../../infra/constructs/bundling.ts';
import { TRAINER_DOCKERFILES } from '../../infra/constructs/trainer-image.ts';

/**
 * One Node major everywhere: the Lambdas' runtime, their bundle target, the trainer images and the Node
 * the test suite runs on (npm's `node` package, a devDependency, so `npm test` and `npx vitest` run on it
 * even where the machine's own Node is older). What the tests pass on is then what runs.
 */

const major = /^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME.name)?.[1];
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};
const dockerfile = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

describe('the Node runtime', () => {
  it('Given the Lambda runtime, then it is a Node.js runtime newer than the end-of-life Node 20', () => {
    expect(Number(major)).toBeGreaterThan(20);
  });

  it('Given the Lambda runtime, then the bundle targets the same Node major', () => {
    expect(LAMBDA_ESBUILD_TARGET).toBe(`node${major}`);
  });

  it('Given package.json, then the node package the tests run on is pinned at the Lambda runtime major', () => {
    expect(manifest.devDependencies.node).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+$`));
  });

  it('Given this test process, then it runs on the Lambda runtime major', () => {
    const why = 'run the suite with npm test or npx vitest: they put node_modules/.bin/node first on PATH';
    expect(process.versions.node.split('.')[0], why).toBe(major);
  });

  it('Given the CPU trainer Dockerfile, then its base image is Node of the Lambda runtime major', () => {
    expect(dockerfile(TRAINER_DOCKERFILES.cpu)).toMatch(new RegExp(`^FROM node:${major}-`, 'm'));
  });

  it("Given the GPU trainer Dockerfile, then it installs NodeSource's Node of the Lambda runtime major", () => {
    expect(dockerfile(TRAINER_DOCKERFILES.gpu)).toContain(`https://deb.nodesource.com/node_${major}.x `);
  });
});
