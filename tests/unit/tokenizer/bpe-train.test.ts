import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import { runBpeTrainCli } from '#local/bpe-train-cli.ts';
import { loadPublicDomainCorpus } from '#local/pretrain-corpus.ts';
import { countPreTokens, trainByteLevelBpe } from '#model/bpe-train.ts';
import { ModelInputError } from '#model/errors.ts';
import { bytesToUnicode, loadTokenizer, toTokenizerJson } from '#model/tokenizer.ts';

const EOT = '<|endoftext|>';

/** Merges by recounting every pair of every word at each step (ties to the smaller pair of ids): slow, obviously right. */
function naiveMerges(texts: string[], count: number): string[] {
  const alphabet = bytesToUnicode();
  const tokens = [...alphabet];
  const words = [...countPreTokens(texts, [EOT])].map(([piece, freq]) => ({
    ids: Array.from(new TextEncoder().encode(piece), (b) => tokens.indexOf(alphabet[b] as string)),
    freq,
  }));
  const merges: string[] = [];
  for (let m = 0; m < count; m++) {
    const pairs = new Map<number, number>();
    for (const { ids, freq } of words) {
      for (let i = 0; i + 1 < ids.length; i++) {
        const key = (ids[i] as number) * 65536 + (ids[i + 1] as number);
        pairs.set(key, (pairs.get(key) ?? 0) + freq);
      }
    }
    const best = [...pairs].filter(([, n]) => n >= 2).sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
    if (!best) break;
    const [left, right] = [Math.floor(best[0] / 65536), best[0] % 65536];
    const spelled = `${tokens[left]}${tokens[right]}`;
    const mergedId = tokens.includes(spelled) ? tokens.indexOf(spelled) : tokens.push(spelled) - 1;
    merges.push(`${tokens[left]} ${tokens[right]}`);
    for (const word of words) {
      for (let i = 0; i + 1 < word.ids.length; i++) {
        if (word.ids[i] === left && word.ids[i + 1] === right) word.ids.splice(i, 2, mergedId);
      }
    }
  }
  return merges;
}

function seededWords(seed: number, n: number): string[] {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const syllables = ['ka', 'ro', 'mi', 'te', 'sun', 'a', 'é', 'lo', 'x'];
  return Array.from({ length: n }, () =>
    Array.from(
      { length: 1 + Math.floor(next() * 4) },
      () => syllables[Math.floor(next() * syllables.length)],
    ).join(''),
  );
}

describe('countPreTokens', () => {
  it('given text, when counted, then pieces follow GPT-2 splits with their leading space', () => {
    const counts = countPreTokens(['Hello world, hello world'], [EOT]);
    expect([...counts]).toEqual([
      ['Hello', 1],
      [' world', 2],
      [',', 1],
      [' hello', 1],
    ]);
  });

  it('given a special token in the text, when counted, then it is never split into pieces', () => {
    expect([...countPreTokens([`ab${EOT}ab`], [EOT])]).toEqual([['ab', 2]]);
  });
});

describe('trainByteLevelBpe', () => {
  it('given a tiny corpus, when trained, then the first merges are the most frequent pairs in order', () => {
    const bpe = trainByteLevelBpe(['low low low lower newest newest widest'], { vocabSize: 256 + 5 + 1 });
    // Counts 4, 4, then three pairs seen 3 times: ties go to the smaller ids (byte 32 'Ġ' < 'e' < 's').
    expect(bpe.merges.map(([l, r]) => `${l} ${r}`)).toEqual(['l o', 'lo w', 'Ġ low', 'e s', 'es t']);
    expect([bpe.vocab.get('e'), bpe.vocab.get('Ġlow')]).toEqual([101, 258]);
  });

  it('given code-point order, when trained on the tiny corpus, then ids follow GPT-2 and ties go the other way', () => {
    const bpe = trainByteLevelBpe(['low low low lower newest newest widest'], {
      vocabSize: 256 + 5 + 1,
      alphabetOrder: 'code-point',
    });
    expect(bpe.merges.map(([l, r]) => `${l} ${r}`)).toEqual(['l o', 'lo w', 'e s', 'Ġ low', 'es t']);
    expect([bpe.vocab.get('!'), bpe.vocab.get('e'), bpe.vocab.get('Ġ')]).toEqual([0, 68, 220]);
    expect([...bpe.specialTokens]).toEqual([[EOT, 261]]);
  });

  it('given random words, when trained, then merges equal a full recount at every step', () => {
    const texts = [seededWords(7, 400).join(' ')];
    const expected = naiveMerges(texts, 40);
    expect(expected).toHaveLength(40);
    const bpe = trainByteLevelBpe(texts, { vocabSize: 256 + 40 + 1 });
    expect(bpe.merges.map(([l, r]) => `${l} ${r}`)).toEqual(expected);
  });

  it('given pairs seen only once, when trained, then nothing is merged and the vocabulary stops short', () => {
    const bpe = trainByteLevelBpe(['ab cd'], { vocabSize: 300 });
    expect(bpe.merges).toEqual([]);
    expect(bpe.vocab.size).toBe(257);
  });

  it('given special tokens in the corpus, when trained, then no merge is learned from them', () => {
    expect(trainByteLevelBpe([`${EOT}${EOT}${EOT}`], { vocabSize: 300 }).merges).toEqual([]);
  });

  it.each([100, 4096.5, 70_000])(
    'given vocabulary size %s, when trained, then it throws ModelInputError',
    (size) => {
      expect(() => trainByteLevelBpe(['ab'], { vocabSize: size })).toThrow(ModelInputError);
    },
  );

  it('given a trained tokenizer.json, when text with accents, CJK, emoji and control characters round-trips, then it is unchanged', () => {
    const tokenizer = loadTokenizer(
      toTokenizerJson(trainByteLevelBpe(seededWords(3, 300), { vocabSize: 300 })),
    );
    const texts = [
      'naïve café — “quotes”',
      '你好，世界',
      '👋🏽 👩‍👩‍👧 🇫🇷',
      'tab\tcr\r\nnul\u0000 end  ',
      ` ${EOT} after`,
    ];
    for (const text of texts) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });
});

describe('the built-in tokenizer models/attune-tiny/tokenizer.json', () => {
  const committed = readFileSync(
    new URL('../../../models/attune-tiny/tokenizer.json', import.meta.url),
    'utf8',
  );

  it("given Hugging Face's BpeTrainer on the same corpus, when trained in code-point order, then the merges are its merges, in order", () => {
    const reference = JSON.parse(
      readFileSync(new URL('../../fixtures/tokenizer/hf-bpe-trainer-merges.json', import.meta.url), 'utf8'),
    ) as { merges: string[] };
    const texts = loadPublicDomainCorpus().map((d) => d.text);
    const bpe = trainByteLevelBpe(texts, { vocabSize: 4096, alphabetOrder: 'code-point' });
    expect(bpe.merges).toHaveLength(3839);
    expect(bpe.merges.map(([l, r]) => `${l} ${r}`)).toEqual(reference.merges);
  });

  it("given the committed file, then it holds the same merges as Hugging Face's BpeTrainer learned", () => {
    const reference = JSON.parse(
      readFileSync(new URL('../../fixtures/tokenizer/hf-bpe-trainer-merges.json', import.meta.url), 'utf8'),
    ) as { merges: string[] };
    const merges = (JSON.parse(committed) as { model: { merges: string[] } }).model.merges;
    expect([...merges].sort()).toEqual([...reference.merges].sort());
  });

  it('given the public-domain corpus, when bpe-train runs again, then it writes the committed file byte for byte', () => {
    const texts = loadPublicDomainCorpus().map((d) => d.text);
    expect(toTokenizerJson(trainByteLevelBpe(texts, { vocabSize: 4096 }))).toBe(committed);
  });

  it('given the committed file, when loaded, then it has 4096 ids with <|endoftext|> last', () => {
    const tokenizer = loadTokenizer(committed);
    expect([tokenizer.vocabSize, tokenizer.eosTokenId]).toEqual([4096, 4095]);
  });

  it('given unicode text outside the corpus, when round-tripped, then it is unchanged', () => {
    const tokenizer = loadTokenizer(committed);
    const text = 'Ünïcödé ✓ — Ω≈ç√ 𝔘𝔫𝔦 😀🤖 日本語 עברית\n\n  end';
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });
});

describe('runBpeTrainCli', () => {
  it('given --vocab and --out, when run, then it writes a loadable tokenizer.json of that size', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'attune-bpe-')), 'tokenizer.json');
    const summary = runBpeTrainCli(['--vocab', '300', '--out', out], () => {});
    expect(loadTokenizer(readFileSync(out, 'utf8')).vocabSize).toBe(300);
    expect(summary).toMatch(/372 documents, .* → 300 tokens \(43 merges\)/);
  });

  it('given no --out, then it throws ValidationError before training', () => {
    expect(() => runBpeTrainCli(['--vocab', '300'], () => {})).toThrow(/--out/);
    expect(() => runBpeTrainCli(['--vocab', '300'], () => {})).toThrow(ValidationError);
  });

  it('given a vocabulary size that is not a number, then it throws ModelInputError', () => {
    expect(() => runBpeTrainCli(['--vocab', 'many', '--out', '/nonexistent/x.json'], () => {})).toThrow(
      ModelInputError,
    );
  });
});
