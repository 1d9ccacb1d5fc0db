import { INSTANCE_CATALOG, type InstanceType } from '#core/estimate/instance-catalog.ts';

/**
 * Where an estimate's hourly prices come from. The dated catalog always has one; a price provider (the
 * AWS Price List API when deployed) may supersede it per instance type. The estimator stays free of AWS:
 * it sees only this port, and every price it shows says which source it came from.
 */

export type PriceSource = 'aws_price_list' | 'catalog';

/** An on-demand price read from a live source, with the date it took effect there. */
export interface LivePrice {
  readonly usdPerHour: number;
  /** ISO date (YYYY-MM-DD) the price took effect. */
  readonly effectiveDate: string;
  /** Where exactly it was read (service, filters, SKU), for the estimate's `source`. */
  readonly detail: string;
}

/**
 * The port a live price source implements. It never rejects: on any failure, timeout or unknown type it
 * leaves those types out of the answer, and the estimator uses the catalog for them.
 */
export interface PriceProvider {
  onDemandPrices(types: readonly string[]): Promise<ReadonlyMap<string, LivePrice>>;
}

/** No live source: every price from the catalog (the embedded stack, tests, live prices switched off). */
export const CATALOG_ONLY: PriceProvider = {
  onDemandPrices: async () => new Map(),
};

/** The price one plan is costed with, and where it comes from. */
export interface InstancePrice {
  readonly on_demand_usd_per_hour: number;
  readonly price_source: PriceSource;
  readonly source: string;
  readonly as_of: string;
  readonly assumed_spot_discount: number;
}

/** Looks up the price of a catalog instance; synchronous so the plan builder stays synchronous. */
export type PriceBook = (instance: InstanceType) => InstancePrice;

export function catalogPrice(instance: InstanceType): InstancePrice {
  return {
    on_demand_usd_per_hour: instance.on_demand_usd_per_hour,
    price_source: 'catalog',
    source: instance.price_source,
    as_of: instance.price_as_of,
    assumed_spot_discount: instance.assumed_spot_discount,
  };
}

/** Live prices where there are some, the catalog's elsewhere; the spot discount stays the catalog's assumption. */
export function priceBook(live: ReadonlyMap<string, LivePrice>): PriceBook {
  return (instance) => {
    const price = live.get(instance.type);
    if (!price) return catalogPrice(instance);
    return {
      on_demand_usd_per_hour: price.usdPerHour,
      price_source: 'aws_price_list',
      source: price.detail,
      as_of: price.effectiveDate,
      assumed_spot_discount: instance.assumed_spot_discount,
    };
  };
}

/** The estimate's summary of its prices: which source, and the date to quote when one is asked for. */
export interface PricesSummary {
  readonly source: PriceSource | 'mixed';
  readonly region: string;
  /** The catalog's date when any catalog price is used, else the newest effective date of the live ones. */
  readonly as_of: string;
  readonly live_instance_types: number;
  readonly catalog_instance_types: number;
}

export function summarisePrices(live: ReadonlyMap<string, LivePrice>): PricesSummary {
  const types = INSTANCE_CATALOG.instances.map((i) => i.type);
  const liveTypes = types.filter((t) => live.has(t));
  const catalogTypes = types.length - liveTypes.length;
  const newestLive = liveTypes
    .map((t) => live.get(t)?.effectiveDate ?? '')
    .sort()
    .at(-1);
  return {
    source: catalogTypes === 0 ? 'aws_price_list' : liveTypes.length === 0 ? 'catalog' : 'mixed',
    region: INSTANCE_CATALOG.region,
    as_of: catalogTypes === 0 && newestLive ? newestLive : INSTANCE_CATALOG.as_of,
    live_instance_types: liveTypes.length,
    catalog_instance_types: catalogTypes,
  };
}
