import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#trainer/env.ts';

/**
 * No Docker engine runs here, so the images are checked for what can break without one: every file they
 * copy exists, the entrypoint they start exists, the bases are the ones the native backends need, and the
 * image manifest installs the packages (and versions) the code was tested with.
 */

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(file: string): Instruction[] {
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

function copySources(steps: readonly Instruction[]): string[] {
  return steps
    .filter((s) => s.keyword === 'COPY')
    .flatMap((s) => {
      const parts = s.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      return parts.slice(0, -1);
    });
}

function exec(steps: readonly Instruction[], keyword: 'ENTRYPOINT' | 'CMD'): string[] | undefined {
  const step = steps.filter((s) => s.keyword === keyword).at(-1);
  return step ? (JSON.parse(step.args) as string[]) : undefined;
}

const readJson = (file: string) =>
  JSON.parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    scripts?: Record<string, string>;
  };

const IMAGES = [
  { file: 'containers/trainer/Dockerfile.gpu', base: /^nvidia\/cuda:11\.2\.\d+-cudnn8-/, native: 'gpu' },
  { file: 'containers/trainer/Dockerfile.cpu', base: /^node:22-/, native: 'cpu' },
] as const;

describe.each(IMAGES)('$file', ({ file, base, native }) => {
  const steps = instructions(file);

  it('Given the Dockerfile, when its COPY sources are looked up in the repository, then every one exists', () => {
    const sources = copySources(steps);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(path.join(REPO_ROOT, source)), source).toBe(true);
  });

  it('Given the Dockerfile, when its ENTRYPOINT is read, then it runs a trainer file that exists with tsx', () => {
    const command = exec(steps, 'ENTRYPOINT') ?? exec(steps, 'CMD');
    expect(command?.slice(0, 3)).toEqual(['node', '--import', 'tsx']);
    const script = command?.find((arg) => arg.endsWith('.ts'));
    expect(script).toBe('containers/trainer/main.ts');
    expect(existsSync(path.join(REPO_ROOT, script ?? ''))).toBe(true);
    expect(copySources(steps).some((s) => script?.startsWith(s.replace(/\/$/, '')))).toBe(true);
  });

  it('Given the Dockerfile, when its base and install steps are read, then they are the base and backend this image needs', () => {
    expect(steps.find((s) => s.keyword === 'FROM')?.args).toMatch(base);
    expect(steps.some((s) => s.keyword === 'RUN' && s.args.includes(`npm run install:${native}`))).toBe(true);
  });
});

describe('the trainer image manifest', () => {
  const image = readJson('containers/trainer/image/package.json');
  const root = readJson('package.json');

  it('Given the image manifest, when its install scripts are read, then they install the native TF.js backends at 4.22.0', () => {
    expect(image.scripts?.['install:gpu']).toContain('@tensorflow/tfjs-node-gpu@4.22.0');
    expect(image.scripts?.['install:cpu']).toContain('@tensorflow/tfjs-node@4.22.0');
  });

  it('Given both manifests, when their versions are compared, then the image installs what the repository tests with', () => {
    const tested = { ...root.dependencies, ...root.devDependencies };
    for (const [name, version] of Object.entries(image.dependencies ?? {})) {
      expect(tested[name], name).toBe(version);
    }
    expect(image.dependencies?.['@tensorflow/tfjs']).toBe('4.22.0');
  });

  it('Given the root manifest, when its dependencies are read, then no native TF.js backend is among them', () => {
    const names = Object.keys({ ...root.dependencies, ...root.devDependencies });
    expect(names).not.toContain('@tensorflow/tfjs-node');
    expect(names).not.toContain('@tensorflow/tfjs-node-gpu');
  });
});
