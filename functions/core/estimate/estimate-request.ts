import type { EstimateMethod } from '#core/estimate/formulas.ts';

/**
 * What an estimate is asked for, as the domain takes it: `POST /v1/estimates` parses its body into this,
 * and a job builds one from its own request, so both are priced by the same description and neither goes
 * back through the other's boundary schema.
 */

export interface EstimateHyperparameters {
  readonly n_epochs: number | 'auto';
  readonly batch_size: number | 'auto';
  readonly learning_rate_multiplier: number | 'auto';
  readonly num_virtual_tokens: number;
}

export interface EstimateRequest {
  readonly model: string;
  /** A processed file of the team; or, for planning before data exists, `training_tokens` and `examples`. */
  readonly training_file?: string | undefined;
  readonly validation_file?: string | undefined;
  readonly training_tokens?: number | undefined;
  readonly examples?: number | undefined;
  readonly validation_tokens?: number | undefined;
  readonly methods: readonly EstimateMethod[];
  readonly hyperparameters: EstimateHyperparameters;
  readonly budget_usd: number | null;
  readonly deadline_hours: number | null;
  readonly data_sensitivity: 'low' | 'high' | null;
  readonly iteration: 'weekly' | 'quarterly' | null;
  readonly portability: boolean | null;
}
