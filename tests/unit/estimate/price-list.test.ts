import 'aws-sdk-client-mock-vitest/extend';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AwsPriceList,
  parsePriceListConfig,
  parsePriceListProduct,
  priceProviderFor,
  RETRY_AFTER_FAILURE_MS,
} from '#aws/price-list.ts';
import { ConfigError } from '#core/errors.ts';
import { CATALOG_ONLY } from '#core/estimate/prices.ts';
import { productDocument } from '#tests/unit/estimate/price-list-fixtures.ts';

const pricing = mockClient(PricingClient);
beforeEach(() => pricing.reset());

const TYPES = ['c7i.large', 'g5.xlarge'];

function adapter(options: { timeoutMs?: number; now?: () => number; warnings?: string[] } = {}) {
  return new AwsPriceList(new PricingClient({ region: 'us-east-1' }), {
    region: 'us-east-1',
    timeoutMs: options.timeoutMs ?? 2000,
    ...(options.now ? { now: options.now } : {}),
    warn: (line) => options.warnings?.push(line),
  });
}

describe('the GetProducts request', () => {
  it('given catalog types, when prices are read, then one request asks for on-demand shared Linux in us-east-1', async () => {
    pricing.on(GetProductsCommand).resolves({ PriceList: [] });
    await adapter().onDemandPrices(TYPES);
    expect(pricing).toHaveReceivedCommandExactlyOnceWith(GetProductsCommand, {
      ServiceCode: 'AmazonEC2',
      FormatVersion: 'aws_v1',
      MaxResults: 100,
      Filters: [
        { Type: 'ANY_OF', Field: 'instanceType', Value: 'c7i.large,g5.xlarge' },
        { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-east-1' },
        { Type: 'TERM_MATCH', Field: 'operatingSystem', Value: 'Linux' },
        { Type: 'TERM_MATCH', Field: 'tenancy', Value: 'Shared' },
        { Type: 'TERM_MATCH', Field: 'preInstalledSw', Value: 'NA' },
        { Type: 'TERM_MATCH', Field: 'capacitystatus', Value: 'Used' },
        { Type: 'TERM_MATCH', Field: 'licenseModel', Value: 'No License required' },
      ],
    });
  });

  it('given an answer in two pages, when prices are read, then the second page is asked for with the token', async () => {
    pricing
      .on(GetProductsCommand)
      .resolvesOnce({
        PriceList: [productDocument({ instanceType: 'c7i.large', usd: '0.0892500000' })],
        NextToken: 'page-2',
      })
      .resolvesOnce({ PriceList: [productDocument({ instanceType: 'g5.xlarge', usd: '1.0060000000' })] });
    const prices = await adapter().onDemandPrices(TYPES);
    expect(pricing).toHaveReceivedNthCommandWith(GetProductsCommand, 2, { NextToken: 'page-2' });
    expect([...prices.keys()].sort()).toEqual(TYPES);
  });
});

describe('parsing a PriceList document', () => {
  it('given a product with on-demand and reserved terms, then the on-demand hourly USD price and its date are read', () => {
    const product = parsePriceListProduct(
      productDocument({ instanceType: 'c7i.large', usd: '0.0892500000', sku: 'KKAC8R8Z7H2EW9QN' }),
    );
    expect(product).toEqual({
      instanceType: 'c7i.large',
      sku: 'KKAC8R8Z7H2EW9QN',
      usdPerHour: 0.08925,
      effectiveDate: '2026-11-01',
    });
  });

  it('given a product of another operation (a licence on top of Linux), then it is not a price', () => {
    const document = productDocument({
      instanceType: 'c7i.large',
      usd: '0.5',
      operation: 'RunInstances:0004',
    });
    expect(parsePriceListProduct(document)).toBeNull();
  });

  it('given a Capacity Block product, then it is not an on-demand price', () => {
    const document = productDocument({
      instanceType: 'p5.48xlarge',
      usd: '31.46',
      marketoption: 'CapacityBlock',
    });
    expect(parsePriceListProduct(document)).toBeNull();
  });

  it('given a zero price, a unit other than hours or malformed JSON, then it is not a price', () => {
    expect(
      parsePriceListProduct(productDocument({ instanceType: 'c7i.large', usd: '0.0000000000' })),
    ).toBeNull();
    expect(
      parsePriceListProduct(productDocument({ instanceType: 'c7i.large', usd: '1', unit: 'Quantity' })),
    ).toBeNull();
    expect(parsePriceListProduct('{"product":')).toBeNull();
  });
});

describe('live prices', () => {
  it('given prices for the asked types, then each carries its price, effective date and a source naming the SKU', async () => {
    pricing.on(GetProductsCommand).resolves({
      PriceList: [
        productDocument({ instanceType: 'c7i.large', usd: '0.0892500000', sku: 'KKAC8R8Z7H2EW9QN' }),
        productDocument({
          instanceType: 'g5.xlarge',
          usd: '1.0060000000',
          effectiveDate: '2026-10-01T00:00:00Z',
        }),
      ],
    });
    const prices = await adapter().onDemandPrices(TYPES);
    expect(prices.get('c7i.large')).toMatchObject({ usdPerHour: 0.08925, effectiveDate: '2026-11-01' });
    expect(prices.get('c7i.large')?.detail).toContain('SKU KKAC8R8Z7H2EW9QN');
    expect(prices.get('g5.xlarge')).toMatchObject({ usdPerHour: 1.006, effectiveDate: '2026-10-01' });
  });

  it('given an answer without one of the types, then that type is left out (the catalog prices it)', async () => {
    pricing.on(GetProductsCommand).resolves({
      PriceList: [productDocument({ instanceType: 'c7i.large', usd: '0.0892500000' })],
    });
    const prices = await adapter().onDemandPrices(TYPES);
    expect(prices.has('g5.xlarge')).toBe(false);
  });

  it('given a product of a type nobody asked for, then it is ignored', async () => {
    pricing.on(GetProductsCommand).resolves({
      PriceList: [productDocument({ instanceType: 'm5.large', usd: '0.0960000000' })],
    });
    expect((await adapter().onDemandPrices(TYPES)).size).toBe(0);
  });

  it('given two products of one type at different prices, then the type is ambiguous and left to the catalog', async () => {
    pricing.on(GetProductsCommand).resolves({
      PriceList: [
        productDocument({ instanceType: 'c7i.large', usd: '0.0892500000', sku: 'AAAAAAAAAAAAAAAA' }),
        productDocument({ instanceType: 'c7i.large', usd: '0.1200000000', sku: 'BBBBBBBBBBBBBBBB' }),
      ],
    });
    expect((await adapter().onDemandPrices(TYPES)).has('c7i.large')).toBe(false);
  });
});

describe('falling back to the catalog', () => {
  it('given the API fails (no credentials, throttling, access denied), then no price is live and a warning says why', async () => {
    const warnings: string[] = [];
    pricing.on(GetProductsCommand).rejects(new Error('Could not load credentials from any providers'));
    const prices = await adapter({ warnings }).onDemandPrices(TYPES);
    expect(prices.size).toBe(0);
    expect(warnings[0]).toMatch(/using the catalog's prices: .*credentials/);
  });

  it('given no answer within the deadline, then it resolves without prices at the deadline', async () => {
    const warnings: string[] = [];
    pricing.on(GetProductsCommand).callsFake(() => new Promise(() => {}));
    const started = performance.now();
    const prices = await adapter({ timeoutMs: 50, warnings }).onDemandPrices(TYPES);
    expect(prices.size).toBe(0);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(warnings[0]).toContain('no answer within 50 ms');
  });

  it('given a failure, when asked again before the back-off ends, then the catalog is used without a request', async () => {
    let now = 1_000_000;
    pricing.on(GetProductsCommand).rejects(new Error('ThrottlingException'));
    const provider = adapter({ now: () => now });
    await provider.onDemandPrices(TYPES);
    now += RETRY_AFTER_FAILURE_MS - 1;
    await provider.onDemandPrices(TYPES);
    expect(pricing).toHaveReceivedCommandTimes(GetProductsCommand, 1);
  });

  it('given a failure, when asked again after the back-off, then the Price List is asked again', async () => {
    let now = 1_000_000;
    pricing
      .on(GetProductsCommand)
      .rejectsOnce(new Error('ThrottlingException'))
      .resolves({ PriceList: [productDocument({ instanceType: 'c7i.large', usd: '0.0892500000' })] });
    const provider = adapter({ now: () => now });
    await provider.onDemandPrices(TYPES);
    now += RETRY_AFTER_FAILURE_MS;
    expect((await provider.onDemandPrices(TYPES)).has('c7i.large')).toBe(true);
  });
});

describe('caching', () => {
  it('given one answer, when the same types are asked again, then no second request is made', async () => {
    pricing.on(GetProductsCommand).resolves({
      PriceList: [productDocument({ instanceType: 'c7i.large', usd: '0.0892500000' })],
    });
    const provider = adapter();
    await provider.onDemandPrices(TYPES);
    const again = await provider.onDemandPrices(TYPES);
    expect(again.get('c7i.large')?.usdPerHour).toBe(0.08925);
    expect(pricing).toHaveReceivedCommandTimes(GetProductsCommand, 1);
  });

  it('given concurrent estimates at a cold start, then they share one request', async () => {
    pricing.on(GetProductsCommand).resolves({ PriceList: [] });
    const provider = adapter();
    await Promise.all([provider.onDemandPrices(TYPES), provider.onDemandPrices(TYPES)]);
    expect(pricing).toHaveReceivedCommandTimes(GetProductsCommand, 1);
  });
});

describe('configuration', () => {
  it('given nothing set and no local endpoints (AWS), then live prices are on with a 2 s deadline', () => {
    expect(parsePriceListConfig({})).toEqual({ enabled: true, timeoutMs: 2000 });
  });

  it('given the local endpoints of the embedded stack, then live prices are off by default', () => {
    expect(parsePriceListConfig({ ATTUNE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' }).enabled).toBe(false);
  });

  it('given ATTUNE_LIVE_PRICES, then it decides whatever the endpoints', () => {
    expect(parsePriceListConfig({ ATTUNE_LIVE_PRICES: 'off' }).enabled).toBe(false);
    expect(
      parsePriceListConfig({ ATTUNE_LIVE_PRICES: 'on', ATTUNE_S3_ENDPOINT: 'http://127.0.0.1:5000' }).enabled,
    ).toBe(true);
  });

  it('given a value other than on or off, then start-up fails with a ConfigError naming the variable', () => {
    expect(() => parsePriceListConfig({ ATTUNE_LIVE_PRICES: 'yes' })).toThrow(ConfigError);
    expect(() => parsePriceListConfig({ ATTUNE_LIVE_PRICES: 'yes' })).toThrow(/ATTUNE_LIVE_PRICES/);
  });

  it('given live prices off, then the provider is the catalog alone and no request is ever made', async () => {
    const provider = priceProviderFor({ enabled: false, timeoutMs: 2000 }, 'us-east-1');
    expect(provider).toBe(CATALOG_ONLY);
    expect((await provider.onDemandPrices(TYPES)).size).toBe(0);
    expect(pricing).toHaveReceivedCommandTimes(GetProductsCommand, 0);
  });
});
