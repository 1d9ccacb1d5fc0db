/**
 * PriceList documents shaped as GetProducts returns them for AmazonEC2 (FormatVersion aws_v1): one JSON
 * string per product, its attributes, and its OnDemand and Reserved terms keyed `<sku>.<offerTermCode>`.
 */

export interface ProductOptions {
  readonly instanceType: string;
  readonly usd: string;
  readonly sku?: string;
  readonly effectiveDate?: string;
  readonly operation?: string;
  readonly marketoption?: string;
  readonly unit?: string;
}

export function productDocument(options: ProductOptions): string {
  const sku = options.sku ?? `SKU${options.instanceType.replace(/\W/g, '').toUpperCase()}`.slice(0, 16);
  const onDemand = `${sku}.JRTCKXETXF`;
  const reserved = `${sku}.4NA7Y494T4`;
  return JSON.stringify({
    product: {
      productFamily: 'Compute Instance',
      attributes: {
        enhancedNetworkingSupported: 'Yes',
        intelTurboAvailable: 'Yes',
        memory: '4 GiB',
        dedicatedEbsThroughput: 'Up to 10000 Mbps',
        vcpu: '2',
        classicnetworkingsupport: 'false',
        capacitystatus: 'Used',
        locationType: 'AWS Region',
        storage: 'EBS only',
        instanceFamily: 'Compute optimized',
        operatingSystem: 'Linux',
        intelAvx2Available: 'Yes',
        regionCode: 'us-east-1',
        physicalProcessor: 'Intel Xeon Scalable (Sapphire Rapids)',
        clockSpeed: '3.2 GHz',
        ecu: 'NA',
        networkPerformance: 'Up to 12500 Megabit',
        servicename: 'Amazon Elastic Compute Cloud',
        instancesku: 'ABCDEFGHJKLMNPQR',
        gpuMemory: 'NA',
        vpcnetworkingsupport: 'true',
        instanceType: options.instanceType,
        tenancy: 'Shared',
        usagetype: `BoxUsage:${options.instanceType}`,
        normalizationSizeFactor: '4',
        intelAvxAvailable: 'Yes',
        processorFeatures: 'Intel AMX; Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo',
        servicecode: 'AmazonEC2',
        licenseModel: 'No License required',
        currentGeneration: 'Yes',
        preInstalledSw: 'NA',
        location: 'US East (N. Virginia)',
        processorArchitecture: '64-bit',
        marketoption: options.marketoption ?? 'OnDemand',
        operation: options.operation ?? 'RunInstances',
        availabilityzone: 'NA',
      },
      sku,
    },
    serviceCode: 'AmazonEC2',
    terms: {
      OnDemand: {
        [onDemand]: {
          priceDimensions: {
            [`${onDemand}.6YS6EN2CT7`]: {
              unit: options.unit ?? 'Hrs',
              endRange: 'Inf',
              description: `$${options.usd} per On Demand Linux ${options.instanceType} Instance Hour`,
              appliesTo: [],
              rateCode: `${onDemand}.6YS6EN2CT7`,
              beginRange: '0',
              pricePerUnit: { USD: options.usd },
            },
          },
          sku,
          effectiveDate: options.effectiveDate ?? '2026-11-01T00:00:00Z',
          offerTermCode: 'JRTCKXETXF',
          termAttributes: {},
        },
      },
      Reserved: {
        [reserved]: {
          priceDimensions: {
            [`${reserved}.6YS6EN2CT7`]: {
              unit: 'Hrs',
              endRange: 'Inf',
              description: 'Linux/UNIX (Amazon VPC), c7i.large reserved instance applied',
              appliesTo: [],
              rateCode: `${reserved}.6YS6EN2CT7`,
              beginRange: '0',
              pricePerUnit: { USD: '0.0562000000' },
            },
          },
          sku,
          effectiveDate: '2026-10-01T00:00:00Z',
          offerTermCode: '4NA7Y494T4',
          termAttributes: {
            LeaseContractLength: '1yr',
            OfferingClass: 'standard',
            PurchaseOption: 'No Upfront',
          },
        },
      },
    },
    version: '20261101000000',
    publicationDate: '2026-11-01T00:00:00Z',
  });
}
