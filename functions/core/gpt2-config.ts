/**
 * The hyper-parameters of a GPT-2-architecture model, under the keys of Hugging Face's `config.json`,
 * so a public GPT-2 checkpoint directory can be read as-is and ours can be read by `transformers`.
 * The shape lives in the domain because the estimator plans with it; the model layer reads and writes it
 * (`functions/model/config.ts`) and runs the forward pass it describes.
 */
export interface Gpt2Config {
  n_layer: number;
  n_head: number;
  n_embd: number;
  n_positions: number;
  vocab_size: number;
  layer_norm_epsilon: number;
  bos_token_id?: number;
  eos_token_id?: number;
}
