/**
 * Training throughput benchmark: tokens/s of full fine-tuning and of prompt tuning on the reference
 * configuration (4 layers, 4 heads, n_embd 128, vocab 4096, 20 virtual tokens, batch 8 × 128), through
 * Attune's own trainer on TF.js wasm — with the native OpenBLAS matmul when it loads, and with the pure
 * wasm kernels, both in the same process — and the same model and steps trained by PyTorch in the same
 * run (Debian's python3-torch with OpenBLAS, 2 threads), reusing the PyTorch GPT-2 forward of
 * tests/reference/gpt2_reference.py. PyTorch runs with the OpenBLAS core type Attune's native path
 * loads (OPENBLAS_CORETYPE: Debian's OpenBLAS 0.3.21 misdetects recent Xeons as "Prescott"), so both
 * multiply with the same kernels; it also runs as installed, for the record. Writes
 * bench/results/train.json.
 *
 *   npx tsx bench/train.ts [--steps 6] [--warmup 2] [--rounds 3] [--no-torch] [--no-pure] [--profile]
 *
 * Not a timed test: the figures depend on the machine and on what else runs on it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import type { TrainingMethod } from '#core/hyperparameters.ts';
import { initBackend, nativeBlasOutcome, registerWasmKernels } from '#model/backend.ts';
import { disposeGpt2Weights, initGpt2Weights } from '#model/gpt2.ts';
import { chosenCoreType } from '#model/native/native-blas.ts';
import { AdamW } from '#model/optimizer.ts';
import { trainModel } from '#model/train.ts';
import type { TokenizedExample } from '#model/train-batch.ts';
import { disposeTrainBatch, makeTrainBatch } from '#model/train-batch.ts';
import { lossAndGradients } from '#model/train-step.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG: Gpt2Config = {
  n_layer: 4,
  n_head: 4,
  n_embd: 128,
  n_positions: 256,
  vocab_size: 4096,
  layer_norm_epsilon: 1e-5,
};
const BATCH = 8;
const SEQ = 128;
const VIRTUAL_TOKENS = 20;

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    'no-torch': { type: 'boolean', default: false },
    'no-pure': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const steps = Number(args.steps);
const warmup = Number(args.warmup);
const rounds = Number(args.rounds);

/** Random ids, SEQ inputs + 1 target each, loss on every position: the cost of a full-length batch. */
function syntheticExamples(count: number, seed: number): TokenizedExample[] {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % CONFIG.vocab_size;
  };
  return Array.from({ length: count }, () => ({
    inputIds: Array.from({ length: SEQ + 1 }, next),
    lossMask: Array.from({ length: SEQ + 1 }, () => 1),
  }));
}

interface Measured {
  tokensPerSecond: number;
  secondsPerStep: number;
  /**
   * Tokens per second of CPU time used by the process (all its threads): less sensitive than wall time
   * to other work on a shared machine, and for a 2-thread BLAS, a lower bound of its idle-machine speed.
   */
  tokensPerCpuSecond: number;
  steps: number;
  firstLoss: number;
  lastLoss: number;
}

/** Runs the real trainer; throughput counts only the steps after `warmup` (kernel set-up, allocation). */
async function measureAttune(method: Exclude<TrainingMethod, 'pretrain'>): Promise<Measured> {
  const weights = initGpt2Weights(CONFIG, 1);
  const stamps: number[] = [];
  const cpu: number[] = [];
  const losses: number[] = [];
  const total = warmup + steps;
  const result = await trainModel({
    config: CONFIG,
    weights,
    method,
    train: syntheticExamples(BATCH * total, 7),
    validation: [],
    hyperparameters: {
      n_epochs: 1,
      batch_size: BATCH,
      ...(method === 'prompt_tuning'
        ? { num_virtual_tokens: VIRTUAL_TOKENS, prompt_tuning_init: 'RANDOM' }
        : {}),
    },
    seed: 3,
    log: () => {},
    onStep: (m) => {
      stamps.push(performance.now());
      const usage = process.cpuUsage();
      cpu.push((usage.user + usage.system) / 1e6);
      losses.push(m.trainLoss);
    },
  });
  result.prompt?.dispose();
  disposeGpt2Weights(weights);
  const timed = (stamps.at(-1) ?? 0) - (stamps[warmup - 1] ?? 0);
  return {
    tokensPerSecond: (BATCH * SEQ * steps) / (timed / 1000),
    secondsPerStep: timed / 1000 / steps,
    tokensPerCpuSecond: (BATCH * SEQ * steps) / ((cpu.at(-1) ?? 0) - (cpu[warmup - 1] ?? 0)),
    steps,
    firstLoss: losses[0] ?? Number.NaN,
    lastLoss: losses.at(-1) ?? Number.NaN,
  };
}

const TORCH_SCRIPT = `
import json, math, sys, time
sys.path.insert(0, sys.argv[1])
import torch
import torch.nn.functional as F
import gpt2_reference as ref
torch.set_num_threads(2)
# The reference forward with torch's own fused LayerNorm and GELU: the fair, fast PyTorch baseline.
ref.layer_norm = lambda x, g, b, eps: F.layer_norm(x, (x.shape[-1],), g, b, eps)
ref.gelu_new = lambda x: F.gelu(x, approximate="tanh")
a = json.loads(sys.argv[2])
c, B, T, P = a["config"], a["batch"], a["seq"], a["virtual"]
torch.manual_seed(0)
gen = torch.Generator().manual_seed(1)
w = {}
for name, shape in a["shapes"].items():
    if name.endswith(".bias"): w[name] = torch.zeros(shape)
    elif ".ln_" in name or name.startswith("ln_f"): w[name] = torch.ones(shape)
    else: w[name] = torch.randn(*shape, generator=gen) * 0.02
def run(method):
    params = {k: v.clone().requires_grad_(method == "supervised") for k, v in w.items()}
    prompt = (torch.randn(P, c["n_embd"], generator=gen) * 0.02).requires_grad_() if method == "prompt_tuning" else None
    if method == "supervised":
        decay = [v for k, v in params.items() if k.startswith("h.") and k.endswith(".weight") and v.dim() == 2]
        rest = [v for k, v in params.items() if not (k.startswith("h.") and k.endswith(".weight") and v.dim() == 2)]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}], lr=1e-4)
        trained = decay + rest
    else:
        opt = torch.optim.AdamW([prompt], lr=3e-2, weight_decay=0.0)
        trained = [prompt]
    stamps, cpu, losses = [], [], []
    for step in range(a["warmup"] + a["steps"]):
        ids = torch.randint(0, c["vocab_size"], (B, T + 1), generator=gen)
        x, y = ids[:, :-1], ids[:, 1:]
        emb = params["wte.weight"][x]
        mask = torch.ones(B, T, dtype=torch.int64)
        if prompt is not None:
            emb = torch.cat([prompt.expand(B, -1, -1), emb], dim=1)
            mask = torch.ones(B, T + P, dtype=torch.int64)
        logits = ref.forward(c, params, emb, mask)[:, -T:]
        loss = F.cross_entropy(logits.reshape(-1, c["vocab_size"]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        opt.step()
        losses.append(loss.item())
        stamps.append(time.perf_counter())
        cpu.append(time.process_time())
    timed = stamps[-1] - stamps[a["warmup"] - 1]
    cpu_timed = cpu[-1] - cpu[a["warmup"] - 1]
    return {"tokensPerSecond": B * T * a["steps"] / timed, "secondsPerStep": timed / a["steps"],
            "tokensPerCpuSecond": B * T * a["steps"] / cpu_timed,
            "steps": a["steps"], "firstLoss": losses[0], "lastLoss": losses[-1]}
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                  "supervised": run("supervised"), "prompt_tuning": run("prompt_tuning")}))
`;

interface TorchResult {
  torch: string;
  threads: number;
  supervised: Measured;
  prompt_tuning: Measured;
}

function measureTorch(coreType: string | undefined): TorchResult {
  const shapes = Object.fromEntries([...initShapes()].map(([name, shape]) => [name, shape] as const));
  const input = JSON.stringify({
    config: CONFIG,
    batch: BATCH,
    seq: SEQ,
    virtual: VIRTUAL_TOKENS,
    warmup,
    steps,
    shapes,
  });
  // PASSIVE: an idle OpenMP thread sleeps instead of spinning, so on a shared machine PyTorch does not
  // burn its time slices waiting for a descheduled sibling (which would understate its speed).
  const threads = {
    OMP_NUM_THREADS: '2',
    OPENBLAS_NUM_THREADS: '2',
    MKL_NUM_THREADS: '2',
    OMP_WAIT_POLICY: 'PASSIVE',
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ...threads };
  if (coreType) env.OPENBLAS_CORETYPE = coreType;
  else delete env.OPENBLAS_CORETYPE;
  const out = spawnSync('/usr/bin/python3', ['-c', TORCH_SCRIPT, path.join(ROOT, 'tests/reference'), input], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (out.status !== 0) throw new Error(`PyTorch reference failed: ${out.stderr || out.error?.message}`);
  return JSON.parse(out.stdout) as TorchResult;
}

function initShapes(): Map<string, number[]> {
  const weights = initGpt2Weights(CONFIG, 1);
  const shapes = new Map([...weights].map(([name, v]) => [name, [...v.shape]]));
  disposeGpt2Weights(weights);
  return shapes;
}

/**
 * Where one step's time goes: milliseconds per kernel (forward, backward and AdamW together, as the
 * engine dispatches them; the matmul wrapper's own transposes count under BatchMatMul), and the wall time
 * that no kernel accounts for (JS dispatch, tape bookkeeping, copies).
 */
async function profileTrainingStep(method: 'supervised' | 'prompt_tuning') {
  const weights = initGpt2Weights(CONFIG, 1);
  const prompt =
    method === 'prompt_tuning'
      ? tf.variable(tf.randomNormal([VIRTUAL_TOKENS, CONFIG.n_embd], 0, 0.02) as tf.Tensor2D)
      : undefined;
  const trained = prompt ? new Map([['prompt_embeddings', prompt]]) : new Map(weights);
  const optimizer = new AdamW(trained, { weightDecay: 0.01 });
  const model = { config: CONFIG, weights, ...(prompt ? { prompt } : {}) };
  const step = () => {
    const batch = makeTrainBatch(syntheticExamples(BATCH, 11), false);
    const { grads } = lossAndGradients(model, batch, trained);
    optimizer.applyGradients(grads, 1e-4);
    disposeTrainBatch(batch);
  };
  step();
  const started = performance.now();
  const info = await tf.profile(step);
  const wallMs = performance.now() - started;
  const byKernel = new Map<string, number>();
  // Op scopes (customGrad, fused ops) are listed too and overlap their kernels: keep real kernels only.
  for (const k of info.kernels.filter((kernel) => tf.getKernel(kernel.name, tf.getBackend()))) {
    byKernel.set(
      k.name,
      (byKernel.get(k.name) ?? 0) + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0),
    );
  }
  const kernelMs = [...byKernel.values()].reduce((a, b) => a + b, 0);
  optimizer.dispose();
  prompt?.dispose();
  disposeGpt2Weights(weights);
  const top = [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return {
    wall_ms: Math.round(wallMs),
    kernel_ms: Math.round(kernelMs),
    kernels_dispatched: info.kernels.filter((kernel) => tf.getKernel(kernel.name, tf.getBackend())).length,
    top_kernels_ms: Object.fromEntries(top.map(([name, ms]) => [name, Math.round(ms)])),
  };
}

type Method = 'supervised' | 'prompt_tuning';
const METHODS: Method[] = ['supervised', 'prompt_tuning'];

/** The round with the highest throughput: on a shared machine, the one least disturbed by other work. */
function best(runs: Measured[]): Measured & { rounds: number[]; cpuRounds: number[] } {
  const top = runs.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));
  return {
    ...top,
    tokensPerCpuSecond: Math.max(...runs.map((r) => r.tokensPerCpuSecond)),
    rounds: runs.map((r) => Math.round(r.tokensPerSecond)),
    cpuRounds: runs.map((r) => Math.round(r.tokensPerCpuSecond)),
  };
}

let backendLine = '';
const backend = await initBackend({ log: (line) => (backendLine = line) });
const native = nativeBlasOutcome();
const nativeBlas = native?.ok ? native.native : undefined;
// The OpenBLAS kernels PyTorch is given: those Attune's native path loaded with (the user's
// OPENBLAS_CORETYPE, else the one this CPU's flags call for).
const coreType = chosenCoreType(process.env);
const loadBefore = os.loadavg();
type Variant = 'native' | 'pure';
const variants: Variant[] = [
  ...(nativeBlas ? (['native'] as const) : []),
  ...(args['no-pure'] ? [] : (['pure'] as const)),
];
const attuneRuns: Record<Variant, Record<Method, Measured[]>> = {
  native: { supervised: [], prompt_tuning: [] },
  pure: { supervised: [], prompt_tuning: [] },
};
const torchRuns: Record<Method, Measured[]> = { supervised: [], prompt_tuning: [] };
const torchAsInstalledRuns: Record<Method, Measured[]> = { supervised: [], prompt_tuning: [] };
let torchInfo: { torch: string; threads: number } | null = null;
// Interleaved rounds, so a burst of load on the machine hits every implementation alike.
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    registerWasmKernels(variant === 'native' ? nativeBlas?.blas : undefined);
    for (const method of METHODS) attuneRuns[variant][method].push(await measureAttune(method));
  }
  registerWasmKernels(nativeBlas?.blas);
  if (!args['no-torch']) {
    const t = measureTorch(coreType);
    torchInfo = { torch: t.torch, threads: t.threads };
    for (const method of METHODS) torchRuns[method].push(t[method]);
    if (coreType) {
      const asInstalled = measureTorch(undefined);
      for (const method of METHODS) torchAsInstalledRuns[method].push(asInstalled[method]);
    }
  }
  const last = (runs: Record<Method, Measured[]>) =>
    METHODS.map((m) => Math.round(runs[m].at(-1)?.tokensPerSecond ?? 0)).join('/');
  console.log(
    `round ${round + 1}: ${variants.map((v) => `attune ${v} ${last(attuneRuns[v])}`).join(', ')}, ` +
      `pytorch ${last(torchRuns)} tok/s (supervised/prompt tuning)`,
  );
}
const bestOf = (runs: Record<Method, Measured[]>) => ({
  supervised: best(runs.supervised),
  prompt_tuning: best(runs.prompt_tuning),
});
const attuneBest = Object.fromEntries(variants.map((v) => [v, bestOf(attuneRuns[v])])) as Partial<
  Record<Variant, ReturnType<typeof bestOf>>
>;
const torch = torchInfo
  ? { ...torchInfo, openblas_coretype: coreType ?? 'autodetected', ...bestOf(torchRuns) }
  : null;
const torchAsInstalled =
  torchInfo && coreType
    ? { ...torchInfo, openblas_coretype: 'autodetected', ...bestOf(torchAsInstalledRuns) }
    : null;
const profile = args.profile
  ? {
      supervised: await profileTrainingStep('supervised'),
      prompt_tuning: await profileTrainingStep('prompt_tuning'),
    }
  : undefined;
type Key = 'tokensPerSecond' | 'tokensPerCpuSecond';
const ratios = (variant: Variant, key: Key) => {
  const ours = attuneBest[variant];
  if (!torch || !ours) return null;
  return Object.fromEntries(METHODS.map((m) => [m, Number((ours[m][key] / torch[m][key]).toFixed(3))]));
};
const result = {
  measured_at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version },
  configuration: { ...CONFIG, batch_size: BATCH, sequence_length: SEQ, num_virtual_tokens: VIRTUAL_TOKENS },
  timed_steps: steps,
  warmup_steps: warmup,
  rounds,
  statistic:
    'best round per implementation (wall tokens/s, and separately tokens per CPU-second); every round listed',
  load_average: { before: loadBefore, after: os.loadavg() },
  attune: {
    backend,
    tfjs: tf.version.tfjs,
    backend_log: backendLine,
    native_blas: nativeBlas
      ? { threads: nativeBlas.threads, openblas: nativeBlas.description }
      : { unavailable: native && !native.ok ? native.reason : 'not tried' },
    ...attuneBest,
  },
  pytorch: torch,
  pytorch_openblas_as_installed: torchAsInstalled,
  ratio_attune_over_pytorch: Object.fromEntries(variants.map((v) => [v, ratios(v, 'tokensPerSecond')])),
  ratio_attune_over_pytorch_per_cpu_second: Object.fromEntries(
    variants.map((v) => [v, ratios(v, 'tokensPerCpuSecond')]),
  ),
  ...(profile ? { profile_ms_per_kernel: profile } : {}),
};
mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench/results/train.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  JSON.stringify({
    wall: result.ratio_attune_over_pytorch,
    cpu: result.ratio_attune_over_pytorch_per_cpu_second,
  }),
);
