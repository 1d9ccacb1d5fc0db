import { artifactBytes, type RunShape } from '#core/estimate/formulas.ts';
import { INSTANCE_CATALOG, S3_STANDARD_STORAGE } from '#core/estimate/instance-catalog.ts';
import type { ModelShape } from '#core/estimate/model-catalog.ts';
import { ASSUMED_UTILISATION } from '#core/estimate/throughput.ts';

/**
 * What a run leaves behind and what it costs afterwards: the artifact kept in S3, and what serving it adds
 * to each request. This is the "deployment footprint" half of the trade-off, which outlives the training bill.
 */

export interface ArtifactEstimate {
  readonly bytes: number;
  readonly formula: string;
  readonly format: string;
  readonly storage_usd_per_month: number;
  readonly storage_price: typeof S3_STANDARD_STORAGE;
}

/** The artifact a run writes, with its monthly S3 Standard cost: the footprint a team keeps paying for. */
export function estimateArtifact(model: ModelShape, parameters: number, run: RunShape): ArtifactEstimate {
  const size = artifactBytes(model, parameters, run);
  return {
    bytes: size.value,
    formula: size.formula,
    format:
      run.method === 'supervised'
        ? 'model.safetensors (fp32) + config.json: a full copy of the model'
        : 'adapter_model.safetensors (prompt_embeddings) + adapter_config.json, in PEFT format',
    storage_usd_per_month: (size.value / 1e9) * S3_STANDARD_STORAGE.usd_per_gb_month,
    storage_price: S3_STANDARD_STORAGE,
  };
}

/** The request length the per-request figures are quoted for. */
export const REFERENCE_REQUEST_TOKENS = 256;
/** Inference is priced on this instance at the single-GPU utilisation assumed for training. */
const SERVING_INSTANCE = 'g5.xlarge';

/** What serving the adaptation adds to each request, and what it asks to be kept loaded. */
export interface InferenceOverhead {
  readonly virtual_tokens_added: number;
  /** What the request itself costs without any adaptation (2·N per token), for scale. */
  readonly base_flops_per_request: number;
  readonly extra_flops_per_request: { readonly uncached: number; readonly prefix_cached: number };
  readonly extra_cost_usd_per_million_requests: { readonly uncached: number; readonly prefix_cached: number };
  /** Key/value cache of the soft prompt, computed once and kept warm with the model (fp32). */
  readonly kv_prefix_bytes: number;
  /** Weights that must be loaded for this adaptation alone (a fine-tune is its own model to host). */
  readonly dedicated_weights_bytes: number;
  readonly formula: string;
  readonly priced_on: string;
}

function usdPerFlop(): number {
  const serving = INSTANCE_CATALOG.instances.find((i) => i.type === SERVING_INSTANCE);
  if (!serving) throw new Error(`serving instance ${SERVING_INSTANCE} is missing from the catalog`);
  const flopsPerHour = serving.peak_fp32_tflops * 1e12 * ASSUMED_UTILISATION.gpu * 3600;
  return serving.on_demand_usd_per_hour / flopsPerHour;
}

/**
 * A soft prompt adds v positions to every request. Uncached, each request runs them through the model:
 * 2·N·v + 4·n_layer·v·n_ctx·d FLOPs. With the prefix's keys and values cached (computed once per warm
 * model), only the attention of the request's tokens over v more keys remains: 4·n_layer·v·d per token,
 * about nothing. A fine-tune adds no tokens but is a whole model to load and host.
 */
export function inferenceOverhead(
  model: ModelShape,
  parameters: number,
  virtualTokens: number,
  dedicatedModel: boolean,
): InferenceOverhead {
  const v = virtualTokens;
  const nCtx = v + REFERENCE_REQUEST_TOKENS;
  const uncached = 2 * parameters * v + 4 * model.n_layer * v * nCtx * model.n_embd;
  const cached = 4 * model.n_layer * v * model.n_embd * REFERENCE_REQUEST_TOKENS;
  const price = usdPerFlop() * 1e6;
  return {
    virtual_tokens_added: v,
    base_flops_per_request: 2 * parameters * REFERENCE_REQUEST_TOKENS,
    extra_flops_per_request: { uncached, prefix_cached: cached },
    extra_cost_usd_per_million_requests: { uncached: uncached * price, prefix_cached: cached * price },
    kv_prefix_bytes: 2 * model.n_layer * v * model.n_embd * 4,
    dedicated_weights_bytes: dedicatedModel ? 4 * parameters : 0,
    formula:
      'uncached: 2·N·v + 4·n_layer·v·n_ctx·d; prefix cached: 4·n_layer·v·d per request token; KV prefix 2·n_layer·v·d·4 bytes',
    priced_on: `${SERVING_INSTANCE} at ${ASSUMED_UTILISATION.gpu * 100}% of fp32 peak, ${REFERENCE_REQUEST_TOKENS}-token requests`,
  };
}
