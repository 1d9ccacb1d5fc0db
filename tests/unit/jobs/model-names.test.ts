import { describe, expect, it } from 'vitest';
import type { ValidationError } from '#core/errors.ts';
import { formatTunedModelName, modelIdOfJob, parseTunedModelName } from '#core/jobs/model-names.ts';

describe('tuned model names', () => {
  it('Given a supervised job with a suffix, when named, then it reads ft:<base>:<team>:<suffix>:<id>', () => {
    const name = formatTunedModelName({
      kind: 'ft',
      base: 'attune-tiny',
      team: 'sales',
      suffix: 'faq',
      id: 'abc',
    });
    expect(name).toBe('ft:attune-tiny:sales:faq:abc');
  });

  it('Given no suffix, when named, then the suffix part is empty as in OpenAI names', () => {
    const name = formatTunedModelName({
      kind: 'pt',
      base: 'attune-tiny',
      team: 'sales',
      suffix: '',
      id: 'abc',
    });
    expect(name).toBe('pt:attune-tiny:sales::abc');
  });

  it('Given a formatted name, when parsed, then the same parts come back', () => {
    const parts = { kind: 'pt', base: 'attune-tiny', team: 't-1', suffix: 'v2.1_x', id: '01jx' } as const;
    expect(parseTunedModelName(formatTunedModelName(parts))).toEqual(parts);
  });

  it.each([
    'attune-tiny',
    'xx:attune-tiny:t::id',
    'ft:attune-tiny:t:id',
    'ft:a:b:c:d:e',
    'ft::t::id',
    'ft:a b:t::id',
  ])("Given '%s', when parsed, then it is not a tuned model name", (value) => {
    expect(parseTunedModelName(value)).toBeUndefined();
  });

  it('Given a suffix with a colon, when named, then a 400 names the suffix', () => {
    expect(() =>
      formatTunedModelName({ kind: 'ft', base: 'attune-tiny', team: 't', suffix: 'a:b', id: 'x' }),
    ).toThrow(expect.objectContaining({ param: 'suffix' }) as ValidationError);
  });

  it('Given a team name with a colon, when named, then it is refused as a programming error', () => {
    expect(() =>
      formatTunedModelName({ kind: 'ft', base: 'attune-tiny', team: 'a:b', suffix: '', id: 'x' }),
    ).toThrow(RangeError);
  });

  it('Given a job id, then the model id is the id without its prefix', () => {
    expect(modelIdOfJob('ftjob-01jabc')).toBe('01jabc');
  });
});
