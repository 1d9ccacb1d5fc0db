import { describe, expect, it } from 'vitest';
import { budgetsFromEnv, InMemorySpendLedger } from '#core/estimate/budget.ts';
import { createEstimate } from '#core/estimate/estimate-service.ts';
import { INSTANCE_CATALOG, type InstanceType } from '#core/estimate/instance-catalog.ts';
import {
  CATALOG_ONLY,
  catalogPrice,
  type LivePrice,
  type PriceProvider,
  priceBook,
  summarisePrices,
} from '#core/estimate/prices.ts';
import { parseEstimateRequest } from '#core/estimate/request-schema.ts';
import { InMemoryCalibrationStore } from '#core/estimate/throughput.ts';

const instance = (type: string): InstanceType => {
  const found = INSTANCE_CATALOG.instances.find((i) => i.type === type);
  if (!found) throw new Error(`no ${type} in the catalog`);
  return found;
};

const live = (usdPerHour: number, effectiveDate = '2026-11-01'): LivePrice => ({
  usdPerHour,
  effectiveDate,
  detail: `AWS Price List API test price, effective ${effectiveDate}`,
});

describe('the price book', () => {
  it('given no live price for a type, then the catalog price is used with its source and date', () => {
    const price = priceBook(new Map())(instance('c7g.large'));
    expect(price).toEqual(catalogPrice(instance('c7g.large')));
    expect(price.price_source).toBe('catalog');
    expect(price.as_of).toBe(instance('c7g.large').price_as_of);
  });

  it('given a live price, then it replaces the catalog price and says it came from the Price List, with its date', () => {
    const price = priceBook(new Map([['g5.xlarge', live(0.9, '2026-10-15')]]))(instance('g5.xlarge'));
    expect(price).toMatchObject({
      on_demand_usd_per_hour: 0.9,
      price_source: 'aws_price_list',
      as_of: '2026-10-15',
      assumed_spot_discount: instance('g5.xlarge').assumed_spot_discount,
    });
  });
});

describe('the summary of an estimate’s prices', () => {
  it('given no live price, then the source is the catalog and the date is the catalog’s', () => {
    expect(summarisePrices(new Map())).toMatchObject({
      source: 'catalog',
      as_of: INSTANCE_CATALOG.as_of,
      live_instance_types: 0,
    });
  });

  it('given live prices for some types, then the source is mixed and the catalog date is kept', () => {
    const summary = summarisePrices(new Map([['c7g.large', live(0.07)]]));
    expect(summary).toMatchObject({ source: 'mixed', as_of: INSTANCE_CATALOG.as_of, live_instance_types: 1 });
  });

  it('given live prices for every type, then the source is the Price List and the date its newest', () => {
    const all = new Map(
      INSTANCE_CATALOG.instances.map((i, n) => [i.type, live(1, n === 0 ? '2026-11-20' : '2026-11-01')]),
    );
    expect(summarisePrices(all)).toMatchObject({ source: 'aws_price_list', as_of: '2026-11-20' });
  });
});

function estimateDeps(prices: PriceProvider) {
  return {
    getFile: async () => undefined,
    calibration: new InMemoryCalibrationStore(),
    budgets: budgetsFromEnv({}),
    spend: new InMemorySpendLedger(),
    prices,
    now: () => Date.parse('2026-11-29T10:00:00Z'),
  };
}

const request = parseEstimateRequest({
  model: 'attune-tiny',
  training_tokens: 40_000,
  examples: 400,
  methods: ['prompt_tuning'],
});

describe('an estimate with a price provider', () => {
  it('given a live price for the chosen instance, then the plan is costed at it and says so', async () => {
    const base = await createEstimate(estimateDeps(CATALOG_ONLY), 'search', request);
    const type = base.methods.prompt_tuning?.plan?.instance_type as string;
    const catalogHourly = base.methods.prompt_tuning?.plan?.price.on_demand_usd_per_hour as number;
    const provider: PriceProvider = {
      onDemandPrices: async () => new Map([[type, live(catalogHourly / 2)]]),
    };
    const estimate = await createEstimate(estimateDeps(provider), 'search', request);
    const plan = estimate.methods.prompt_tuning?.plan;
    expect(plan?.instance_type).toBe(type);
    expect(plan?.price).toMatchObject({
      price_source: 'aws_price_list',
      on_demand_usd_per_hour: catalogHourly / 2,
    });
    expect(plan?.cost_usd.on_demand).toBeCloseTo(
      (base.methods.prompt_tuning?.cost_usd?.on_demand as number) / 2,
      12,
    );
    expect(estimate.prices.source).toBe('mixed');
  });

  it('given the provider, then it is asked for every instance type of the catalog', async () => {
    const asked: string[][] = [];
    const provider: PriceProvider = {
      onDemandPrices: async (types) => {
        asked.push([...types]);
        return new Map();
      },
    };
    await createEstimate(estimateDeps(provider), 'search', request);
    expect(asked).toEqual([INSTANCE_CATALOG.instances.map((i) => i.type)]);
  });

  it('given no live price at all, then every plan says catalog and the estimate says catalog', async () => {
    const estimate = await createEstimate(estimateDeps(CATALOG_ONLY), 'search', request);
    expect(estimate.prices.source).toBe('catalog');
    expect(estimate.methods.prompt_tuning?.plan?.price.price_source).toBe('catalog');
  });
});
