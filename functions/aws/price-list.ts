import { type Filter, GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { z } from 'zod';
import { ConfigError } from '#core/errors.ts';
import type { LivePrice, PriceProvider } from '#core/estimate/prices.ts';
import { CATALOG_ONLY } from '#core/estimate/prices.ts';

/**
 * Live on-demand EC2 prices from the AWS Price List Query API (`pricing:GetProducts`), for the estimator's
 * price port. One request (all catalog types in one `ANY_OF` filter, paged) per container, cached for the
 * container's life; any error, a missing credential, an answer slower than the deadline or a type the
 * answer lacks leaves those types to the dated catalog, so an estimate never fails or waits long for a price.
 */

/** The Price List Query API is served from us-east-1 (and ap-south-1), whatever region prices are asked for. */
export const PRICING_API_REGION = 'us-east-1';
/** How long an estimate waits for the Price List before it uses the catalog. */
export const DEFAULT_PRICE_LIST_TIMEOUT_MS = 2000;
/** After a failure, the catalog is used without asking again for this long, so no request waits on a dead endpoint. */
export const RETRY_AFTER_FAILURE_MS = 5 * 60_000;
/** Pages followed at most (the answer for the catalog's ~25 types fits one page of 100). */
const MAX_PAGES = 5;

/** The exact filters: shared-tenancy Linux with no pre-installed software, capacity in use, in `region`. */
export function priceListFilters(types: readonly string[], region: string): Filter[] {
  return [
    { Type: 'ANY_OF', Field: 'instanceType', Value: types.join(',') },
    { Type: 'TERM_MATCH', Field: 'regionCode', Value: region },
    { Type: 'TERM_MATCH', Field: 'operatingSystem', Value: 'Linux' },
    { Type: 'TERM_MATCH', Field: 'tenancy', Value: 'Shared' },
    { Type: 'TERM_MATCH', Field: 'preInstalledSw', Value: 'NA' },
    { Type: 'TERM_MATCH', Field: 'capacitystatus', Value: 'Used' },
    { Type: 'TERM_MATCH', Field: 'licenseModel', Value: 'No License required' },
  ];
}

/** One product of a GetProducts answer: its attributes and its on-demand terms (other terms are ignored). */
const PriceDimensionSchema = z.object({
  unit: z.string(),
  pricePerUnit: z.object({ USD: z.string().optional() }),
});
const OnDemandTermSchema = z.object({
  effectiveDate: z.string().optional(),
  priceDimensions: z.record(z.string(), PriceDimensionSchema),
});
const ProductDocumentSchema = z.object({
  product: z.object({
    sku: z.string().optional(),
    attributes: z.object({
      instanceType: z.string(),
      operation: z.string().optional(),
      marketoption: z.string().optional(),
    }),
  }),
  terms: z.object({ OnDemand: z.record(z.string(), OnDemandTermSchema).optional() }),
  publicationDate: z.string().optional(),
});

export interface ParsedProduct {
  readonly instanceType: string;
  readonly sku: string;
  readonly usdPerHour: number;
  readonly effectiveDate: string;
}

/**
 * The hourly on-demand price of one PriceList document, or null when it is not a plain on-demand instance
 * hour (another operation such as a SQL licence, a Capacity Block, no positive USD price per `Hrs`).
 */
export function parsePriceListProduct(document: string): ParsedProduct | null {
  let json: unknown;
  try {
    json = JSON.parse(document);
  } catch {
    return null;
  }
  const parsed = ProductDocumentSchema.safeParse(json);
  if (!parsed.success) return null;
  const { product, terms, publicationDate } = parsed.data;
  const { operation, marketoption } = product.attributes;
  if (operation !== undefined && operation !== 'RunInstances') return null;
  if (marketoption !== undefined && marketoption !== 'OnDemand') return null;
  const offers = Object.values(terms.OnDemand ?? {});
  if (offers.length !== 1) return null;
  const offer = offers[0] as z.output<typeof OnDemandTermSchema>;
  const hourly = Object.values(offer.priceDimensions).filter((d) => d.unit === 'Hrs');
  if (hourly.length !== 1) return null;
  const usdPerHour = Number(hourly[0]?.pricePerUnit.USD);
  if (!(usdPerHour > 0) || !Number.isFinite(usdPerHour)) return null;
  const date = (offer.effectiveDate ?? publicationDate ?? '').slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  return {
    instanceType: product.attributes.instanceType,
    sku: product.sku ?? 'unknown',
    usdPerHour,
    effectiveDate: date,
  };
}

/**
 * The prices of the requested types in a set of documents. A type with two different prices is ambiguous
 * and left to the catalog rather than guessed.
 */
export function pricesFromDocuments(
  documents: readonly string[],
  types: readonly string[],
  region: string,
): Map<string, LivePrice> {
  const wanted = new Set(types);
  const byType = new Map<string, ParsedProduct[]>();
  for (const document of documents) {
    const product = parsePriceListProduct(document);
    if (!product || !wanted.has(product.instanceType)) continue;
    byType.set(product.instanceType, [...(byType.get(product.instanceType) ?? []), product]);
  }
  const out = new Map<string, LivePrice>();
  for (const [type, products] of byType) {
    const first = products[0] as ParsedProduct;
    if (products.some((p) => p.usdPerHour !== first.usdPerHour)) continue;
    out.set(type, {
      usdPerHour: first.usdPerHour,
      effectiveDate: first.effectiveDate,
      detail: `AWS Price List API (GetProducts, AmazonEC2), on-demand Linux, shared tenancy, ${region}: SKU ${first.sku}, effective ${first.effectiveDate}`,
    });
  }
  return out;
}

export interface AwsPriceListOptions {
  /** The region whose prices are read (the catalog's). */
  readonly region: string;
  readonly timeoutMs?: number;
  readonly now?: () => number;
  /** Where a fallback is reported (one line, not a stack); silent when absent. */
  readonly warn?: (message: string) => void;
}

/** The Price List adapter of the estimator's price port; one instance per process holds the cache. */
export class AwsPriceList implements PriceProvider {
  private cached: ReadonlyMap<string, LivePrice> | undefined;
  private inFlight: Promise<ReadonlyMap<string, LivePrice>> | undefined;
  private failedAt: number | undefined;
  /** Types the last answer did not price: the catalog prices them for the container's life, as for the rest. */
  private missing = new Set<string>();

  constructor(
    private readonly client: PricingClient,
    private readonly options: AwsPriceListOptions,
  ) {}

  /** Live prices of `types`; never rejects. Types asked for after the first answer are read again. */
  async onDemandPrices(types: readonly string[]): Promise<ReadonlyMap<string, LivePrice>> {
    if (this.cached && types.every((t) => this.cached?.has(t) || this.missing.has(t))) return this.cached;
    const now = this.options.now?.() ?? Date.now();
    if (this.failedAt !== undefined && now - this.failedAt < RETRY_AFTER_FAILURE_MS)
      return this.cached ?? new Map();
    this.inFlight ??= this.fetch(types).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(types: readonly string[]): Promise<ReadonlyMap<string, LivePrice>> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_PRICE_LIST_TIMEOUT_MS;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const documents = await Promise.race([this.readDocuments(types, abort.signal), deadline]);
      const prices = pricesFromDocuments(documents, types, this.options.region);
      this.cached = new Map([...(this.cached ?? []), ...prices]);
      this.missing = new Set(types.filter((t) => !prices.has(t)));
      this.failedAt = undefined;
      return this.cached;
    } catch (error) {
      this.failedAt = this.options.now?.() ?? Date.now();
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.options.warn?.(`AWS Price List unavailable, using the catalog's prices: ${reason}`);
      return this.cached ?? new Map();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every page of the answer (the deadline around it aborts the request in flight). */
  private async readDocuments(types: readonly string[], signal: AbortSignal): Promise<string[]> {
    const documents: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await this.client.send(
        new GetProductsCommand({
          ServiceCode: 'AmazonEC2',
          FormatVersion: 'aws_v1',
          Filters: priceListFilters(types, this.options.region),
          MaxResults: 100,
          ...(token ? { NextToken: token } : {}),
        }),
        { abortSignal: signal },
      );
      documents.push(...(out.PriceList ?? []).map(String));
      token = out.NextToken;
      if (!token) break;
    }
    return documents;
  }
}

const PriceListEnvSchema = z.object({
  /** `on` reads live prices, `off` uses the catalog; unset: on in AWS, off in the embedded stack. */
  ATTUNE_LIVE_PRICES: z.enum(['on', 'off']).optional(),
  ATTUNE_PRICE_LIST_TIMEOUT_MS: z.coerce.number().int().min(100).max(10_000).optional(),
  ATTUNE_DYNAMODB_ENDPOINT: z.string().optional(),
  ATTUNE_S3_ENDPOINT: z.string().optional(),
});

export interface PriceListConfig {
  readonly enabled: boolean;
  readonly timeoutMs: number;
}

/**
 * Whether to read live prices. Unset, it follows where the process runs: local endpoints mean the embedded
 * stack, which has no AWS access and must not wait on a timeout for every estimate; otherwise on.
 */
export function parsePriceListConfig(env: NodeJS.ProcessEnv): PriceListConfig {
  const parsed = PriceListEnvSchema.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${detail}`, { cause: parsed.error });
  }
  const e = parsed.data;
  const local = Boolean(e.ATTUNE_DYNAMODB_ENDPOINT || e.ATTUNE_S3_ENDPOINT);
  return {
    enabled: e.ATTUNE_LIVE_PRICES ? e.ATTUNE_LIVE_PRICES === 'on' : !local,
    timeoutMs: e.ATTUNE_PRICE_LIST_TIMEOUT_MS ?? DEFAULT_PRICE_LIST_TIMEOUT_MS,
  };
}

/**
 * The price provider a configuration asks for: the Price List adapter, or the catalog alone. A composition
 * root builds it once, so its cache lives as long as the process (the Lambda container).
 */
export function priceProviderFor(config: PriceListConfig, region: string): PriceProvider {
  if (!config.enabled) return CATALOG_ONLY;
  return new AwsPriceList(new PricingClient({ region: PRICING_API_REGION, maxAttempts: 2 }), {
    region,
    timeoutMs: config.timeoutMs,
    warn: (message) => console.warn(JSON.stringify({ level: 'WARN', message })),
  });
}
