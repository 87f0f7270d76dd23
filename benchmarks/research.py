"""Research harness behind benchmarks/README.md: AlexNet vs AlexNet-ECA on CPU, where the time goes.

Moved out of the package (`python -m ecapaddle bench` measures only the headline figures). Measures,
in one process and on synthetic tensors (model only):
- training (forward, label-smoothing loss, backward, Adam step) and inference images/s of
  AlexNet, AlexNet-ECA and AlexNet with the course notebook's ECA forward, with the models'
  repeats interleaved (base, eca, notebook, base, ...) so that load drift hits all alike;
- the ECA overhead (ECA time / base time - 1, paired per repeat) and the notebook-style ECA's
  slow-down relative to ours;
- FLOPs (Paddle's per-layer counters, as `paddle.flops` counts them, plus a count for ECA) and the
  achieved GFLOP/s against the CPU's fp32 peak;
- runtime settings switchable in a running process (threads, oneDNN, paddle.jit.to_static);
- inference through Paddle Inference (ecapaddle.export: static graph, oneDNN) vs dynamic mode;
- ECA forward alternatives, all equal to the SPEC §1 definition, per call at AlexNet's shapes;
- per-layer forward and backward times, and ECA's parts (pooling, conv1d, sigmoid, multiply);
- the whole pipeline (synthetic CIFAR-10 archive, augmentation, DataLoader, model).
`--compare-settings` reruns the model benchmark in subprocesses with each start-up setting
(MKL_DEBUG_CPU_TYPE, OMP_NUM_THREADS) on and off. Timings use wall time, or with `clock="cpu"`
this process's CPU time, which a loaded, shared machine disturbs far less (meaningful for
single-threaded runs).

    python benchmarks/research.py [--quick] [--compare-settings] [--output FILE] [options]
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from paddle.hapi.dynamic_flops import register_hooks as PADDLE_FLOP_COUNTERS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # this checkout's ecapaddle, installed or not

from ecapaddle import runtime  # noqa: E402
from ecapaddle.data import load_cifar10, make_synthetic_cifar10  # noqa: E402
from ecapaddle.data.transforms import build_transforms  # noqa: E402
from ecapaddle.bench import DynamicRunner  # noqa: E402
from ecapaddle.cli import positive_int  # noqa: E402
from ecapaddle.export import create_predictor, export_model, run_predictor  # noqa: E402
from ecapaddle.layers import ECA  # noqa: E402
from ecapaddle.losses import LabelSmoothingCrossEntropy  # noqa: E402
from ecapaddle.models.alexnet import NOTEBOOK_ECA_KERNELS, ORDERS, AlexNet, AlexNetECA, feature_map_size  # noqa: E402

SCHEMA = "ecapaddle.research/1"
BASE, OURS, NOTEBOOK = "alexnet", "alexnet_eca", "alexnet_eca_notebook"
MODES = ("train", "eval")
TRAIN_FLOPS_PER_FORWARD = 3     # backward = input gradient + weight gradient, each ~ one forward

# Reference figures quoted in the JSON next to ours (SPEC §1, §2).
REFERENCES = {
    "notebook_v100_img_s": {"alexnet": 2114, "alexnet_eca": 2022, "eca_overhead": 2114 / 2022 - 1},
    "eca_paper_resnet50_inference_img_s": {"resnet50": 1855, "eca_net50": 1805, "eca_overhead": 1855 / 1805 - 1},
    "eca_paper_resnet50_train_img_s": {"resnet50": 1024, "eca_net50": 785, "eca_overhead": 1024 / 785 - 1},
}
TARGETS = {"eca_overhead_max": 0.03, "tuned_vs_default_notebook_train_min": 3.0, "fraction_of_peak_min": 0.5}

DEFAULTS = dict(
    batch_size=128, input_size=128, repeats=5, steps=1, warmup=1,
    models=(BASE, OURS, NOTEBOOK), modes=MODES,
    threads=None, clock="wall", onednn=False, to_static=False,
    settings=True, settings_repeats=2, predictor=True,
    eca_variants=True, eca_repeats=3,
    profile=True, profile_repeats=2,
    pipeline=True, pipeline_images=256, pipeline_workers=0, pipeline_preset="notebook",
    peak_gflops=None, ghz=None, sgemm_size=1024,
    compare_settings=False, compare_rounds=2, seed=0, quick=False,
)
QUICK = dict(batch_size=2, repeats=1, steps=1, warmup=1, settings_repeats=1, eca_repeats=1,
             profile_repeats=1, pipeline_images=8, sgemm_size=128, compare_rounds=1)


# ----------------------------------------------------------------------------- ECA forwards

def _pool_mean(x):
    return x.mean(axis=list(range(2, x.ndim)))


ADAPTIVE_AVG_POOL = {3: F.adaptive_avg_pool1d, 4: F.adaptive_avg_pool2d, 5: F.adaptive_avg_pool3d}


def _pool_adaptive(x):
    return ADAPTIVE_AVG_POOL[x.ndim](x, 1).flatten(1)


def _pool_flat_mean(x):
    return x.flatten(2).mean(-1)


def _pool_matmul(x):
    # [N*C, H*W] @ [H*W, 1] column of 1/(H*W): one MKL matrix-vector product per call; only the
    # spatial size is used, so a dynamic batch axis (-1 under paddle.jit.to_static) still works.
    spatial = int(np.prod(x.shape[2:]))
    column = paddle.full([spatial, 1], 1.0 / spatial, dtype=x.dtype)
    return paddle.matmul(x.reshape([-1, spatial]), column).reshape([-1, x.shape[1]])


POOLS = {"mean": _pool_mean, "adaptive_pool": _pool_adaptive, "flat_mean": _pool_flat_mean, "matmul": _pool_matmul}
MIXES = ("conv1d", "band_matmul", "shifted_sum")


class VariantECA(ECA):
    """ECA with a chosen pooling and channel-mixing implementation, for speed comparisons.

    All combinations compute SPEC §1 exactly (up to float rounding) with the same k parameters
    (`conv.weight` [1, 1, k]) as `ECA`:
        pool: "mean" (x.mean over H, W), "adaptive_pool" (F.adaptive_avg_pool2d(x, 1)),
              "flat_mean" (x.reshape([N, C, H*W]).mean(-1)) or "matmul"
              (x.reshape([N*C, H*W]) @ a column of 1/(H*W))                      -> [N, C]
        mix:  "conv1d" (Conv1D on [N, 1, C]), "band_matmul" (pooled @ B.T, B the C x C band
              matrix built from the k weights) or "shifted_sum" (sum over j of w_j times the
              zero-padded pooled vector shifted by j)                            -> [N, C]
    Input [N, C, *spatial] ("adaptive_pool" as F.adaptive_avg_pool1d/2d/3d); zero padding only.
    """

    def __init__(self, kernel_size, pool="mean", mix="conv1d"):
        super().__init__(kernel_size=kernel_size)
        if pool not in POOLS or mix not in MIXES:
            raise ValueError(f"unknown ECA variant {pool}+{mix}; pools {sorted(POOLS)}, mixes {list(MIXES)}")
        self.pool, self.mix = pool, mix
        self._band_selectors = {}

    def attention(self, x):
        pooled = POOLS[self.pool](x)                                       # [N, C]
        if self.mix == "conv1d":
            mixed = self.conv(pooled.unsqueeze(1)).squeeze(1)
        elif self.mix == "band_matmul":
            mixed = paddle.matmul(pooled, self._band_transposed(x.shape[1]))
        else:
            mixed = self._shifted_sum(pooled)
        # 0 copies the batch size: no Python ints from x.shape, so exported graphs keep it dynamic
        return F.sigmoid(mixed).reshape([0, -1] + [1] * (x.ndim - 2))

    def _band_transposed(self, c):
        """B.T [C, C] with B[i, i - pad + j] = w_j, differentiable in w."""
        k, pad = self.kernel_size, (self.kernel_size - 1) // 2
        if c not in self._band_selectors:
            selector = np.zeros((k, c, c), dtype="float32")              # selector[j, m, i] = [m == i - pad + j]
            for j in range(k):
                for i in range(c):
                    if 0 <= i - pad + j < c:
                        selector[j, i - pad + j, i] = 1.0
            self._band_selectors[c] = selector.reshape(k, c * c)
        weight = self.conv.weight.reshape([1, k])
        # converted on each call so that paddle.jit.to_static / export see a constant, not a dygraph tensor
        return paddle.matmul(weight, paddle.to_tensor(self._band_selectors[c])).reshape([c, c])

    def _shifted_sum(self, pooled):
        k, pad, c = self.kernel_size, (self.kernel_size - 1) // 2, pooled.shape[1]
        padded = F.pad(pooled.unsqueeze(1), [pad, pad], data_format="NCL").squeeze(1)    # [N, C + 2 pad]
        weight = self.conv.weight.reshape([k])
        mixed = padded[:, 0:c] * weight[0]
        for j in range(1, k):
            mixed = mixed + padded[:, j:j + c] * weight[j]
        return mixed

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, pool={self.pool}, mix={self.mix}"


class NotebookECA(ECA):
    """The course notebook's ECA forward, kept as the speed reference (input [N, C, H, W]).

    AdaptiveAvgPool2D(1) -> squeeze(-1) -> transpose -> Conv1D -> transpose -> unsqueeze(-1)
    -> sigmoid -> multiply; the same k parameters as `ECA` under the same name `conv`.
    """

    def __init__(self, kernel_size):
        super().__init__(kernel_size=kernel_size)
        self.avg_pool = nn.AdaptiveAvgPool2D(1)

    def attention(self, x):
        y = self.avg_pool(x)                                           # [N, C, 1, 1]
        y = self.conv(y.squeeze(-1).transpose([0, 2, 1]))              # [N, 1, C]
        return F.sigmoid(y.transpose([0, 2, 1]).unsqueeze(-1))         # [N, C, 1, 1]


def eca_variant_names():
    return ["current", "notebook"] + [f"{pool}+{mix}" for pool in POOLS for mix in MIXES]


def build_eca(variant, kernel_size):
    """An ECA layer by variant name: "current" (ecapaddle's ECA), "notebook" or "<pool>+<mix>"."""
    if variant == "current":
        return ECA(kernel_size=kernel_size)
    if variant == "notebook":
        return NotebookECA(kernel_size)
    pool, _, mix = variant.partition("+")
    return VariantECA(kernel_size, pool, mix)


class OrderedAlexNet(AlexNet):
    """AlexNet, or AlexNet-ECA (with `eca`), whose conv stages always run in one of `AlexNet.forward_features`'s
    orders ("layers", "gates_after_pooling", "bias_after_pooling"), whatever the mode, so that each order can be
    timed in dynamic mode and through Paddle Inference. The package picks the order by mode (`AlexNet.forward`).
    `gate_mean_from_images=False` makes stage 1's gate pool the conv output in training too (the package's
    `AlexNet.gate_mean_from_images`)."""

    def __init__(self, num_classes, order, eca, gate_mean_from_images=True):
        attention = (lambda channels, stage: ECA(kernel_size=NOTEBOOK_ECA_KERNELS[stage])) if eca else None
        super().__init__(num_classes, attention=attention)
        self.order = order
        self.gate_mean_from_images = gate_mean_from_images

    def forward(self, x):
        return self.classifier(self.forward_features(x, self.order).flatten(1))


def build_model(name, num_classes=10):
    """alexnet, alexnet_eca, alexnet_eca_notebook, alexnet_eca:<pool>+<mix> (see VariantECA), or
    alexnet:<order> / alexnet_eca:<order> with an order of `AlexNet.forward_features` (see OrderedAlexNet), and
    alexnet_eca:bias_after_pooling/pooled_mean: stage 1's gate pools the conv output in training too."""
    if name == BASE:
        return AlexNet(num_classes)
    if name == OURS:
        return AlexNetECA(num_classes)
    model, _, variant = name.partition(":")
    order, _, option = variant.partition("/")
    pooled_mean = option == "pooled_mean" and model == OURS and order == "bias_after_pooling"   # else no effect
    if model in (BASE, OURS) and order in ORDERS and (option == "" or pooled_mean):
        return OrderedAlexNet(num_classes, order, eca=model == OURS, gate_mean_from_images=not pooled_mean)
    variant = "notebook" if name == NOTEBOOK else variant if model == OURS else None
    if variant is None or variant not in eca_variant_names():
        raise ValueError(f"unknown model {name!r}; use {BASE}, {OURS}, {NOTEBOOK}, {OURS}:<pool>+<mix> "
                         f"with <pool>+<mix> one of {eca_variant_names()[2:]}, {BASE}:<order> / {OURS}:<order> "
                         f"with <order> one of {list(ORDERS)}, or {OURS}:bias_after_pooling/pooled_mean")
    return AlexNet(num_classes, attention=lambda channels, stage: build_eca(variant, NOTEBOOK_ECA_KERNELS[stage]))


# ----------------------------------------------------------------------------- FLOPs and peak

def count_eca(layer, inputs, output):
    """`paddle.flops` custom count for ECA: pooling adds and gating multiplies (2 C H W per image),
    and the 1-D convolution's multiply-adds (k C)."""
    x = inputs[0]
    layer.total_ops += int(2 * np.prod(x.shape[1:]) + layer.kernel_size * x.shape[1]) * x.shape[0]


def count_flops(model, input_size=128):
    """Forward FLOPs of one image [1, 3, input_size, input_size], per layer type, as `paddle.flops` counts them.

    Paddle's counters (paddle.hapi.dynamic_flops, the ones `paddle.flops` uses) count a multiply-add
    as one operation, bias adds and ReLU elements included; ECA layers get `count_eca`. The layers are
    hooked here because `paddle.flops` itself fails on NumPy >= 2.4 in Paddle 3.3.1 (it converts
    1-element tensors with int() when it prints its table). Returns {"forward_macs", "attention_ops",
    "by_type": {layer type: operations}}; GFLOP/s figures use 2 x forward_macs.
    """
    counted, hooks = {}, []

    def hook(count):
        def run(layer, inputs, output):
            layer.total_ops = 0
            count(layer, inputs, output)
            counted[type(layer).__name__] = counted.get(type(layer).__name__, 0) + int(layer.total_ops)
        return run

    for layer in model.sublayers():
        count = count_eca if isinstance(layer, ECA) else PADDLE_FLOP_COUNTERS.get(type(layer))
        if count is not None and not _inside_eca(model, layer):
            hooks.append(layer.register_forward_post_hook(hook(count)))
    was_training = model.training
    model.eval()
    try:
        with paddle.no_grad():
            model(paddle.zeros([1, 3, input_size, input_size]))
    finally:
        for handle in hooks:
            handle.remove()
        model.train(was_training)
    attention = sum(v for k, v in counted.items() if k not in ("Conv2D", "Linear", "ReLU", "Dropout"))
    return {"forward_macs": counted.get("Conv2D", 0) + counted.get("Linear", 0), "attention_ops": attention,
            "by_type": counted}


def _inside_eca(model, layer):
    return any(isinstance(parent, ECA) and layer in parent.sublayers() for parent in model.sublayers())


SIMD_FLAGS = {"avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile"}


def cpu_info():
    """CPU model, vendor, nominal clock (GHz), usable cores and the SIMD flags that set the peak."""
    field = runtime.cpuinfo_field
    mhz = field("cpu MHz")
    return {"model": field("model name") or platform.processor(), "vendor": field("vendor_id"),
            "family_model": f"{field('cpu family')}/{field('model')}", "cores": runtime.available_cores(),
            "ghz": round(float(mhz) / 1000, 3) if mhz else None,
            "simd": sorted(SIMD_FLAGS.intersection((field("flags") or "").split()))}


def fp32_flops_per_cycle(info):
    """fp32 FLOPs per cycle per core from the SIMD flags, and the assumption behind the number."""
    simd = set(info.get("simd", ()))
    if "avx512f" in simd and info.get("vendor") == "AuthenticAMD":
        return 32, "AMD Zen 4: AVX-512 on two 256-bit FMA pipes = 2 x 8 lanes x 2 FLOPs"
    if "avx512f" in simd:
        return 64, "Intel AVX-512 server core: 2 FMA units x 16 lanes x 2 FLOPs (1-FMA SKUs have half)"
    if "fma" in simd:
        return 32, "AVX2: 2 FMA units x 8 lanes x 2 FLOPs"
    return 8, "no FMA: 4-lane SSE add + multiply per cycle"


def theoretical_peak(info, ghz=None, peak_gflops=None, threads_used=None):
    """fp32 peak GFLOP/s of the machine = cores x FLOPs/cycle x GHz (or `peak_gflops` when given),
    and of the `threads_used` cores a run can use (one core per thread)."""
    per_cycle, assumption = fp32_flops_per_cycle(info)
    ghz = ghz or info.get("ghz") or 2.6
    computed = info["cores"] * per_cycle * ghz
    machine = float(peak_gflops or computed)
    used = min(threads_used or info["cores"], info["cores"])
    return {"gflops": machine, "computed_gflops": round(computed, 1), "cores": info["cores"],
            "threads_used": used, "gflops_threads_used": machine * used / info["cores"], "ghz": ghz,
            "flops_per_cycle_per_core": per_cycle,
            "assumption": assumption if not peak_gflops else f"given on the command line ({peak_gflops})"}


def measure_sgemm_gflops(size=1024, seconds=1.0, clock=time.perf_counter):
    """GFLOP/s of a square fp32 matmul: what this Paddle build reaches on this CPU."""
    a, b = paddle.randn([size, size]), paddle.randn([size, size])
    paddle.matmul(a, b)
    calls, start = 0, clock()
    while calls < 3 or clock() - start < seconds:
        paddle.matmul(a, b).numpy()
        calls += 1
    return 2 * size ** 3 * calls / (clock() - start) / 1e9


# ----------------------------------------------------------------------------- timing helpers

def summarize(values):
    """median, min, max, quartiles and the raw values of a list of measurements."""
    v = np.asarray(values, dtype="float64")
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return {"median": float(med), "min": float(v.min()), "max": float(v.max()), "q1": float(q1),
            "q3": float(q3), "repeats": [round(float(x), 4) for x in v]}


# "wall": elapsed time. "cpu": this process's CPU time, which other processes on a shared machine
# barely change; it equals wall time for an unloaded single-threaded run (use it with threads=1:
# with more threads it adds up the threads' time, including OpenMP spin-waiting).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _seconds(fn, calls, clock=time.perf_counter):
    start = clock()
    for _ in range(calls):
        result = fn()
    if isinstance(result, paddle.Tensor):
        result.numpy()
    return clock() - start


class ModelRunner(DynamicRunner):
    """One model with its optimizer and a fixed synthetic batch; times training or inference steps
    (the package benchmark's `DynamicRunner` steps, for any model of `build_model` and input size)."""

    def __init__(self, name, batch_size, input_size, to_static=False, seed=0, clock="wall"):
        paddle.seed(seed)
        self.name, self.clock = name, CLOCKS[clock]
        self.model = build_model(name)
        if to_static:
            self.model = paddle.jit.to_static(self.model)
        self.net = self.model
        self.optimizer = paddle.optimizer.Adam(learning_rate=1e-3, weight_decay=1e-5,
                                               parameters=self.model.parameters())
        self.loss_fn = LabelSmoothingCrossEntropy(0.1)
        self.images = paddle.randn([batch_size, 3, input_size, input_size])
        self.labels = paddle.randint(0, 10, [batch_size])
        self.batch_size = batch_size

    def images_per_second(self, mode, steps):
        step = self.train_step if mode == "train" else self.eval_step
        return self.batch_size * steps / _seconds(step, steps, self.clock)


def interleaved_throughput(runners, modes, repeats, steps, warmup):
    """{label: {mode: [img/s per repeat]}}, repeats run as (r1, r2, ..., r1, r2, ...).

    `runners` maps a label to (ModelRunner, setup) where setup() puts the process into that
    label's setting before each timed block (None: nothing to switch).
    """
    results = {label: {mode: [] for mode in modes} for label in runners}
    for label, (runner, setup) in runners.items():
        for mode in modes:
            (setup or _noop)()
            runner.images_per_second(mode, warmup)
    for _ in range(repeats):
        for mode in modes:
            for label, (runner, setup) in runners.items():
                (setup or _noop)()
                results[label][mode].append(runner.images_per_second(mode, steps))
    return results


def _noop():
    pass


def _paired_ratio(slow, fast):
    """Per-repeat ratios slow_time / fast_time - 1 from img/s lists (paired by repeat)."""
    return summarize([f / s - 1 for s, f in zip(slow, fast)])


# ----------------------------------------------------------------------------- sections

def measure_models(opts, flops, peak, sgemm):
    runners = {name: (ModelRunner(name, opts["batch_size"], opts["input_size"], opts["to_static"], opts["seed"],
                                  opts["clock"]), None) for name in opts["models"]}
    raw = interleaved_throughput(runners, opts["modes"], opts["repeats"], opts["steps"], opts["warmup"])
    models = {}
    for name, per_mode in raw.items():
        forward = flops[_flops_key(name)]["forward_flops"]
        entry = {}
        for mode, values in per_mode.items():
            stats = summarize(values)
            gflops = stats["median"] * forward * (TRAIN_FLOPS_PER_FORWARD if mode == "train" else 1) / 1e9
            entry[f"{mode}_img_s"] = stats
            entry[f"{mode}_gflops"] = round(gflops, 2)
            entry[f"{mode}_fraction_of_peak"] = round(gflops / peak["gflops_threads_used"], 4)
            entry[f"{mode}_fraction_of_machine_peak"] = round(gflops / peak["gflops"], 4)
            entry[f"{mode}_fraction_of_sgemm"] = round(gflops / sgemm, 4)
        models[name] = entry
    return models, raw


def _flops_key(name):
    return BASE if name.partition(":")[0] == BASE else OURS


def summarize_ratios(raw, modes):
    summary = {}
    for mode in modes:
        if BASE in raw and OURS in raw:
            summary[f"eca_overhead_{mode}"] = _paired_ratio(raw[OURS][mode], raw[BASE][mode])
        for name in raw:
            variant = name.partition(":")[2]
            order = variant.partition("/")[0]
            base = f"{BASE}:{order}" if f"{BASE}:{order}" in raw else BASE      # the same order's AlexNet
            if name.startswith(OURS + ":") and base in raw:
                summary[f"eca_overhead_{mode}[{variant}]"] = _paired_ratio(raw[name][mode], raw[base][mode])
        if NOTEBOOK in raw and OURS in raw:
            # > 1 means ours is faster: notebook-style time / our time
            summary[f"notebook_vs_ours_{mode}"] = summarize([o / n for n, o in zip(raw[NOTEBOOK][mode], raw[OURS][mode])])
        if NOTEBOOK in raw and BASE in raw:
            summary[f"notebook_eca_overhead_{mode}"] = _paired_ratio(raw[NOTEBOOK][mode], raw[BASE][mode])
    return summary


def measure_runtime_settings(opts):
    """AlexNet-ECA with each in-process switch flipped, interleaved with the current settings."""
    cores = runtime.available_cores()
    threads = opts["threads"] or runtime.num_threads()
    base_args = (OURS, opts["batch_size"], opts["input_size"])
    current = ModelRunner(*base_args, to_static=opts["to_static"], seed=opts["seed"], clock=opts["clock"])

    def setup(n_threads=threads, onednn=opts["onednn"]):
        return lambda: (runtime.set_num_threads(n_threads), set_onednn(onednn))

    runners = {"current": (current, setup())}
    if threads != 1:
        runners["threads=1"] = (current, setup(n_threads=1))
    elif cores > 1:
        runners[f"threads={cores}"] = (current, setup(n_threads=cores))
    runners[f"onednn={not opts['onednn']}"] = (current, setup(onednn=not opts["onednn"]))
    errors = {}
    try:
        static = ModelRunner(*base_args, to_static=not opts["to_static"], seed=opts["seed"], clock=opts["clock"])
        static.images_per_second("train", 1)
        static.images_per_second("eval", 1)
        runners[f"to_static={not opts['to_static']}"] = (static, setup())
    except Exception as err:   # a Paddle conversion failure is a result to report, not a crash
        errors[f"to_static={not opts['to_static']}"] = f"{type(err).__name__}: {err}"[:500]
    raw = interleaved_throughput(runners, opts["modes"], opts["settings_repeats"], opts["steps"], 1)
    setup()()
    result = {"model": OURS, "current": {"threads": threads, "onednn": opts["onednn"], "to_static": opts["to_static"],
},
              "img_s": {label: {mode: summarize(v) for mode, v in per_mode.items()} for label, per_mode in raw.items()},
              "speedup_vs_current": {}, "errors": errors}
    for label in raw:
        if label != "current":
            result["speedup_vs_current"][label] = {
                mode: summarize([o / c for c, o in zip(raw["current"][mode], raw[label][mode])]) for mode in opts["modes"]}
    return result


class PredictorRunner:
    """A model exported with ecapaddle.export and run by a paddle.inference predictor (oneDNN and
    IR fusion passes on, Paddle Inference's defaults); inference only."""

    def __init__(self, name, batch_size, input_size, directory, threads, seed=0, clock="wall"):
        paddle.seed(seed)
        prefix = os.path.join(directory, name.replace(":", "_"))
        export_model(build_model(name), prefix, input_shape=(None, 3, input_size, input_size))
        self.predictor, self._run = create_predictor(prefix, cpu_threads=threads), run_predictor
        self.images = np.random.default_rng(seed).standard_normal((batch_size, 3, input_size, input_size)).astype("float32")
        self.batch_size, self.clock = batch_size, CLOCKS[clock]

    def images_per_second(self, mode, steps):
        if mode != "eval":
            raise ValueError("a paddle.inference predictor only runs inference (mode 'eval')")
        with runtime.threads_restored():            # or the dynamic-mode runs after it are slower (see there)
            seconds = _seconds(lambda: self._run(self.predictor, self.images), steps, self.clock)
        return self.batch_size * steps / seconds


def measure_predictor(opts, flops, peak):
    """Inference through paddle.inference (exported static graph, oneDNN) vs dynamic mode, interleaved."""
    threads = opts["threads"] or runtime.num_threads()
    runners, errors = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for m in opts["models"]:
            try:
                runners[f"predictor:{m}"] = (PredictorRunner(m, opts["batch_size"], opts["input_size"], tmp, threads,
                                                             opts["seed"], opts["clock"]), None)
            except Exception as err:   # an export or Paddle Inference failure is a result to report
                errors[m] = f"{type(err).__name__}: {err}"[:500]
        if not runners:
            return {"status": "skipped", "reason": "no model could be exported and run", "errors": errors}
        names = [label.partition(":")[2] for label in runners]
        runners.update({f"dynamic:{m}": (ModelRunner(m, opts["batch_size"], opts["input_size"], seed=opts["seed"],
                                                     clock=opts["clock"]), None) for m in names if m in (BASE, OURS)})
        raw = interleaved_throughput(runners, ("eval",), opts["settings_repeats"], opts["steps"], opts["warmup"])
    result = {"status": "ok", "threads": threads, "img_s": {}, "speedup_vs_dynamic": {}, "eca_overhead_eval": {},
              "errors": errors}
    for label, per_mode in raw.items():
        stats = summarize(per_mode["eval"])
        gflops = stats["median"] * flops[_flops_key(label.partition(":")[2])]["forward_flops"] / 1e9
        result["img_s"][label] = {**stats, "gflops": round(gflops, 2),
                                  "fraction_of_peak": round(gflops / peak["gflops_threads_used"], 4)}
    for m in names:
        if f"dynamic:{m}" in raw:
            result["speedup_vs_dynamic"][m] = summarize([p / d for p, d in zip(raw[f"predictor:{m}"]["eval"],
                                                                               raw[f"dynamic:{m}"]["eval"])])
        if m != BASE and BASE in names:
            result["eca_overhead_eval"][m] = _paired_ratio(raw[f"predictor:{m}"]["eval"], raw[f"predictor:{BASE}"]["eval"])
    return result


def eca_shapes(batch_size, input_size):
    """(shape [N, C, H, W], k) of the input of each ECA layer of AlexNetECA, duplicates removed."""
    model, shapes, hooks = AlexNetECA(), [], []
    for layer in model.sublayers():
        if isinstance(layer, ECA):
            hooks.append(layer.register_forward_pre_hook(
                lambda layer, inputs: shapes.append(([batch_size] + list(inputs[0].shape[1:]), layer.kernel_size))))
    model.eval()
    with paddle.no_grad():
        model(paddle.zeros([1, 3, input_size, input_size]))
    unique = []
    for item in shapes:
        if item not in unique:
            unique.append(item)
    return unique


def eca_reference(x, weight):
    """SPEC §1 in float64 NumPy: mean over H, W; zero-padded 1-D cross-correlation; sigmoid; scale."""
    n, c = x.shape[:2]
    k, pad = weight.size, (weight.size - 1) // 2
    padded = np.pad(x.reshape(n, c, -1).mean(axis=2), ((0, 0), (pad, pad)))
    mixed = sum(weight[j] * padded[:, j:j + c] for j in range(k))
    return x * (1.0 / (1.0 + np.exp(-mixed)))[:, :, None, None]


def check_eca_variants(shape, kernel_size, seed=0):
    """Max abs difference of every variant to the float64 definition (forward) and to `ECA`
    (gradients of x and of the k weights), on [min(N, 4), C, H, W]."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal([min(shape[0], 4)] + list(shape[1:])).astype("float32")
    weight = rng.standard_normal(kernel_size).astype("float32")
    grad_out = paddle.to_tensor(rng.standard_normal(x.shape).astype("float32"))
    expected = eca_reference(x.astype("float64"), weight.astype("float64"))
    checks, reference_grads = {}, None
    for variant in eca_variant_names():
        layer = build_eca(variant, kernel_size)
        layer.conv.weight.set_value(weight.reshape(1, 1, kernel_size))
        xt = paddle.to_tensor(x, stop_gradient=False)
        out = layer(xt)
        paddle.autograd.backward([out], [grad_out])
        grads = (xt.grad.numpy(), layer.conv.weight.grad.numpy().ravel())
        reference_grads = reference_grads or grads
        checks[variant] = {"forward_max_abs_err": float(np.abs(out.numpy() - expected).max()),
                           "grad_x_max_abs_diff": float(np.abs(grads[0] - reference_grads[0]).max()),
                           "grad_w_max_rel_diff": float(np.abs(grads[1] - reference_grads[1]).max()
                                                        / max(np.abs(reference_grads[1]).max(), 1e-30))}
    return checks


def measure_eca_variants(opts):
    """Per-call ms of each ECA variant at each AlexNet shape, forward and forward+backward."""
    shapes, clock = eca_shapes(opts["batch_size"], opts["input_size"]), CLOCKS[opts["clock"]]
    result = {"variants": eca_variant_names(), "shapes": [], "numerics": check_eca_variants(*shapes[0])}
    for shape, k in shapes:
        x = paddle.randn(shape)
        grad_out = paddle.randn(shape)
        layers = {v: build_eca(v, k) for v in eca_variant_names()}

        def forward(layer):
            with paddle.no_grad():
                return layer(x)

        def forward_backward(layer):
            xi = x.detach()
            xi.stop_gradient = False
            paddle.autograd.backward([layer(xi)], [grad_out])
            layer.clear_gradients()

        timings = {v: {"forward": [], "forward_backward": []} for v in layers}
        for v, layer in layers.items():
            forward(layer), forward_backward(layer)
        for _ in range(opts["eca_repeats"]):
            for v, layer in layers.items():
                timings[v]["forward"].append(_seconds(lambda: forward(layer), 1, clock) * 1e3)
                timings[v]["forward_backward"].append(_seconds(lambda: forward_backward(layer), 1, clock) * 1e3)
        result["shapes"].append({"shape": shape, "kernel_size": k, "ms": {
            v: {kind: summarize(values) for kind, values in t.items()} for v, t in timings.items()}})
    totals = {v: {kind: sum(s["ms"][v][kind]["median"] for s in result["shapes"]) for kind in ("forward", "forward_backward")}
              for v in result["variants"]}
    result["total_ms_over_shapes"] = totals
    exact = [v for v in result["variants"] if result["numerics"][v]["forward_max_abs_err"] < 1e-5]
    result["fastest_forward_backward"] = min(exact, key=lambda v: totals[v]["forward_backward"])
    result["fastest_forward"] = min(exact, key=lambda v: totals[v]["forward"])
    return result


def _sequential_layers(model):
    return [(f"features.{i}", layer) for i, layer in enumerate(model.features)] + [("flatten", nn.Flatten())] + \
           [(f"classifier.{i}", layer) for i, layer in enumerate(model.classifier)]


def profile_layers(name, batch_size, input_size, repeats, clock=time.perf_counter):
    """Forward (inference) and forward+backward (training) ms of each layer of a model, alone.

    Each layer gets the previous layer's output; in training the image batch needs no gradient,
    as in a real step. The optimizer step is not included.
    """
    model = build_model(name)
    x = paddle.randn([batch_size, 3, input_size, input_size])
    rows = []
    for index, (label, layer) in enumerate(_sequential_layers(model)):
        inputs = x.detach()

        def forward():
            layer.eval()
            with paddle.no_grad():
                return layer(inputs)

        def forward_backward():
            layer.train()
            xi = inputs.detach()
            xi.stop_gradient = index == 0
            out = layer(xi)
            paddle.autograd.backward([out], [paddle.ones_like(out)])
            layer.clear_gradients()

        forward(), forward_backward()
        fwd = np.median([_seconds(forward, 1, clock) for _ in range(repeats)]) * 1e3
        fwd_bwd = np.median([_seconds(forward_backward, 1, clock) for _ in range(repeats)]) * 1e3
        rows.append({"layer": label, "type": type(layer).__name__, "output_shape": list(forward().shape),
                     "forward_ms": round(float(fwd), 3), "forward_backward_ms": round(float(fwd_bwd), 3)})
        x = forward()
    by_type = {}
    for row in rows:
        entry = by_type.setdefault(row["type"], {"forward_ms": 0.0, "forward_backward_ms": 0.0})
        entry["forward_ms"] += row["forward_ms"]
        entry["forward_backward_ms"] += row["forward_backward_ms"]
    totals = {kind: sum(r[kind] for r in rows) for kind in ("forward_ms", "forward_backward_ms")}
    for entry in by_type.values():
        for kind in ("forward_ms", "forward_backward_ms"):
            entry[kind] = round(entry[kind], 3)
            entry[kind.replace("_ms", "_share")] = round(entry[kind] / totals[kind], 4)
    return {"model": name, "batch_size": batch_size, "layers": rows, "by_type": by_type,
            "total_ms": {k: round(v, 3) for k, v in totals.items()}}


def profile_eca_parts(shape, kernel_size, repeats, clock=time.perf_counter):
    """ms of ECA's steps alone at one shape: each pooling, conv1d, sigmoid, multiply; fwd and fwd+bwd."""
    n, c = shape[:2]
    x, gate = paddle.randn(shape), F.sigmoid(paddle.randn([n, c]))
    conv = nn.Conv1D(1, 1, kernel_size, padding=(kernel_size - 1) // 2, bias_attr=False)
    parts = {f"pool:{name}": (pool, x) for name, pool in POOLS.items()}
    parts.update({"conv1d": (lambda t: conv(t.reshape([n, 1, c])), gate), "sigmoid": (F.sigmoid, gate),
                  "multiply": (lambda t: t * gate.reshape([n, c, 1, 1]), x)})
    result = {}
    for part, (fn, inputs) in parts.items():
        def forward():
            with paddle.no_grad():
                return fn(inputs)

        def forward_backward():
            xi = inputs.detach()
            xi.stop_gradient = False
            out = fn(xi)
            paddle.autograd.backward([out], [paddle.ones_like(out)])

        forward(), forward_backward()
        result[part] = {kind: round(float(np.median([_seconds(fn_, 1, clock) for _ in range(repeats)])) * 1e3, 3)
                        for kind, fn_ in (("forward_ms", forward), ("forward_backward_ms", forward_backward))}
    conv.clear_gradients()
    return {"shape": shape, "kernel_size": kernel_size, "parts": result}


def measure_profile(opts):
    models = [m for m in (BASE, OURS) if m in opts["models"]] or [OURS]
    clock = CLOCKS[opts["clock"]]
    profiles = {m: profile_layers(m, opts["batch_size"], opts["input_size"], opts["profile_repeats"], clock) for m in models}
    parts = [profile_eca_parts(shape, k, opts["profile_repeats"], clock)
             for shape, k in eca_shapes(opts["batch_size"], opts["input_size"])]
    return {"layers": profiles, "eca_parts": parts}


def measure_pipeline(opts):
    """Data loading + augmentation + model over a small synthetic CIFAR-10 archive."""
    batch, n = opts["batch_size"], max(opts["pipeline_images"], opts["batch_size"])
    result = {"status": "ok", "images": n, "workers": opts["pipeline_workers"], "preset": opts["pipeline_preset"],
              "batch_size": batch, "clock": "wall", "img_s": {}}
    with tempfile.TemporaryDirectory() as tmp:
        archive = make_synthetic_cifar10(os.path.join(tmp, "cifar-10-python.tar.gz"), n_train=n, n_test=n, seed=opts["seed"])
        loaders = {}
        for mode in opts["modes"]:
            train = mode == "train"
            dataset = load_cifar10("train" if train else "test", archive,
                                   transform=build_transforms(opts["pipeline_preset"], train=train, size=opts["input_size"]))
            loaders[mode] = paddle.io.DataLoader(dataset, batch_size=batch, shuffle=train, drop_last=True,
                                                 num_workers=opts["pipeline_workers"])
        for mode, loader in loaders.items():
            result["img_s"][f"data_only_{mode}"] = _epoch_img_s(loader, lambda images, labels: None)
        for name in [m for m in (BASE, OURS) if m in opts["models"]]:
            runner = ModelRunner(name, batch, opts["input_size"], seed=opts["seed"])
            for mode, loader in loaders.items():
                step = _pipeline_step(runner, mode)
                step(runner.images, runner.labels)                    # warm-up on the synthetic batch
                result["img_s"][f"{name}_{mode}"] = _epoch_img_s(loader, step)
    return result


def _pipeline_step(runner, mode):
    def step(images, labels):
        runner.images, runner.labels = images, labels
        return runner.train_step() if mode == "train" else runner.eval_step()
    return step


def _epoch_img_s(loader, step):
    count, start, result = 0, time.perf_counter(), None
    for images, labels in loader:
        result = step(images, labels)
        count += images.shape[0]
    if isinstance(result, paddle.Tensor):
        result.numpy()
    return round(count / (time.perf_counter() - start), 2)


def environment():
    import importlib.metadata

    return {"paddle": paddle.__version__, "paddle_commit": paddle.version.commit, "python": platform.python_version(),
            "numpy": np.__version__, "ecapaddle": importlib.metadata.version("ecapaddle") if _installed() else None,
            "cpu": cpu_info(), "platform": platform.platform(), "runtime": runtime_settings(),
            "paddle_with_mkl": str(getattr(paddle.version, "with_mkl", "?")),
            "onednn_compiled": bool(paddle.base.core.is_compiled_with_onednn())
            if hasattr(paddle.base.core, "is_compiled_with_onednn") else None}


def _installed():
    import importlib.metadata

    try:
        importlib.metadata.version("ecapaddle")
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


# ----------------------------------------------------------------------------- settings in subprocesses

def compare_configs(cores):
    """name -> (environment changes, extra benchmark args, models: "all" or "eca"). None removes a variable.

    "paddle_defaults" is Paddle as installed (one thread, MKL's default path);
    the others are the tuned settings with one of them undone. "eca" runs only AlexNet-ECA models.
    """
    return {
        "paddle_defaults": ({"OMP_NUM_THREADS": None, "MKL_DEBUG_CPU_TYPE": None}, [], "all"),
        "tuned": ({"OMP_NUM_THREADS": str(cores), "MKL_DEBUG_CPU_TYPE": "5"}, [], "all"),
        "tuned_without_mkl_debug": ({"OMP_NUM_THREADS": str(cores), "MKL_DEBUG_CPU_TYPE": None}, [], "eca"),
        "tuned_one_thread": ({"OMP_NUM_THREADS": "1", "MKL_DEBUG_CPU_TYPE": "5"}, [], "eca"),
    }


def compare_settings(opts):
    """Rerun the model benchmark in one subprocess per configuration (start-up settings act
    only before paddle is imported), `compare_rounds` times in turn, and compare."""
    cores = runtime.available_cores()
    configs = compare_configs(cores)
    repeats = -(-opts["repeats"] // opts["compare_rounds"])            # about `repeats` over all rounds
    common = ["--batch-size", str(opts["batch_size"]), "--input-size", str(opts["input_size"]),
              "--repeats", str(repeats), "--steps", str(opts["steps"]), "--warmup", str(opts["warmup"]),
              "--modes", *opts["modes"], "--no-settings", "--no-predictor", "--no-eca-variants", "--no-profile",
              "--no-pipeline",
              "--sgemm-size", str(opts["sgemm_size"]), "--clock", opts["clock"]]
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs = {name: [] for name in configs}
    with tempfile.TemporaryDirectory() as tmp:
        for round_index in range(opts["compare_rounds"]):
            for name, (changes, args, which) in configs.items():
                env = dict(os.environ)
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
                for key, value in changes.items():
                    env.pop(key, None) if value is None else env.__setitem__(key, value)
                out = os.path.join(tmp, f"{name}-{round_index}.json")
                cmd = [sys.executable, os.path.abspath(__file__),
                       *common, "--models", *_compare_models(opts["models"], which), *args, "--output", out, "--quiet"]
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise RuntimeError(f"benchmark subprocess for {name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
                with open(out) as f:
                    runs[name].append(json.load(f))
    result = {"configs": {}, "ratios": {}}
    for name, reports in runs.items():
        changes, args, _ = configs[name]
        merged = {}
        for report in reports:
            for model, entry in report["models"].items():
                for mode in opts["modes"]:
                    merged.setdefault(model, {}).setdefault(mode, []).extend(entry[f"{mode}_img_s"]["repeats"])
        result["configs"][name] = {"env": changes, "args": args, "runtime": reports[0]["environment"]["runtime"],
                                   "img_s": {m: {mode: summarize(v) for mode, v in per.items()} for m, per in merged.items()}}
    tuned = result["configs"]["tuned"]["img_s"]
    default = result["configs"]["paddle_defaults"]["img_s"]
    for mode in opts["modes"]:
        for model in [m for m in tuned if m == OURS or m.startswith(OURS + ":")] if NOTEBOOK in default else []:
            label = "ours" if model == OURS else model
            result["ratios"][f"tuned_{label}_vs_default_notebook_{mode}"] = round(
                tuned[model][mode]["median"] / default[NOTEBOOK][mode]["median"], 3)
        for name, config in result["configs"].items():
            if name != "tuned" and OURS in config["img_s"] and OURS in tuned:
                result["ratios"][f"tuned_vs_{name}_{mode}"] = round(
                    tuned[OURS][mode]["median"] / config["img_s"][OURS][mode]["median"], 3)
    return result


def _compare_models(models, which):
    eca_models = [m for m in models if m == OURS or m.startswith(OURS + ":")] or [OURS]
    if which == "eca":
        return eca_models
    return list(dict.fromkeys([*models, NOTEBOOK, *eca_models]))


# ----------------------------------------------------------------------------- driver

def _check_options(opts):
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown benchmark options {sorted(unknown)}; valid: {sorted(DEFAULTS)}")
    for key in ("batch_size", "repeats", "steps", "settings_repeats", "eca_repeats", "profile_repeats",
                "pipeline_images", "sgemm_size", "compare_rounds"):
        if isinstance(opts[key], bool) or not isinstance(opts[key], int) or opts[key] < 1:
            raise ValueError(f"{key} must be a positive int, got {opts[key]!r}")
    if feature_map_size(opts["input_size"]) != 3:
        valid = [s for s in range(96, 192) if feature_map_size(s) == 3]
        raise ValueError(f"input_size {opts['input_size']} does not fit AlexNet's 1152-input classifier "
                         f"(it needs a 3 x 3 last feature map); use {valid[0]}..{valid[-1]} px (128 is the course's)")
    for name in opts["models"]:
        build_model(name)
    if opts["clock"] not in CLOCKS:
        raise ValueError(f"clock must be one of {sorted(CLOCKS)}, got {opts['clock']!r}")
    bad_modes = set(opts["modes"]) - set(MODES)
    if bad_modes or not opts["modes"]:
        raise ValueError(f"modes must be a non-empty subset of {MODES}, got {opts['modes']}")


def run_benchmark(**options):
    """Run the benchmark; returns the report as a JSON-serialisable dict (see benchmarks/README.md).

    Options (defaults in `DEFAULTS`; `quick=True` applies `QUICK` first, explicit options win):
    batch_size, input_size, repeats, steps (timed steps per repeat), warmup, models, modes,
    threads (None: keep the process's), onednn, to_static, settings, eca_variants,
    profile, pipeline (sections on/off) and their repeats, pipeline_images, pipeline_workers,
    pipeline_preset, peak_gflops / ghz (override the CPU peak), sgemm_size, compare_settings,
    compare_rounds, seed.
    """
    opts = dict(DEFAULTS)
    if options.get("quick"):
        opts.update(QUICK)
    opts.update(options)
    opts["models"], opts["modes"] = tuple(opts["models"]), tuple(opts["modes"])
    _check_options(opts)
    threads = opts["threads"] or runtime.num_threads()
    onednn_before = any(paddle.get_flags(onednn_flags()).values())
    with runtime.threads_restored():                    # leave the calling process as it was
        runtime.set_num_threads(threads)
        set_onednn(opts["onednn"])
        try:
            return _run(opts, threads)
        finally:
            set_onednn(onednn_before)


def onednn_flags():
    """The oneDNN (MKL-DNN) switches this Paddle build has: FLAGS_use_mkldnn and/or FLAGS_use_onednn."""
    return [name for name in ("FLAGS_use_mkldnn", "FLAGS_use_onednn") if name in paddle.base.core.globals()]


def set_onednn(enabled):
    """Switch Paddle's oneDNN kernels on or off in this process."""
    paddle.set_flags({name: bool(enabled) for name in onednn_flags()})


def runtime_settings():
    """The start-up variables and run-time flags that change CPU speed, for the report."""
    state = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "MKL_DEBUG_CPU_TYPE", "MKL_NUM_THREADS")}
    state["threads"] = runtime.num_threads()
    return {**state, **paddle.get_flags(onednn_flags())}


def _run(opts, threads_used):
    started = time.perf_counter()
    load_before = os.getloadavg()
    info = cpu_info()
    peak = theoretical_peak(info, opts["ghz"], opts["peak_gflops"], threads_used)
    sgemm = measure_sgemm_gflops(opts["sgemm_size"], 0.2 if opts["quick"] else 1.0, CLOCKS[opts["clock"]])
    flops = {}
    for name in (BASE, OURS):
        counted = count_flops(build_model(name), opts["input_size"])
        forward = 2 * counted["forward_macs"]
        flops[name] = {"forward_flops": forward, "forward_gflop_per_img": forward / 1e9,
                       "train_gflop_per_img": TRAIN_FLOPS_PER_FORWARD * forward / 1e9,
                       "paddle_flops_by_type": counted["by_type"], "attention_ops": counted["attention_ops"]}
    report = {"schema": SCHEMA, "options": {k: list(v) if isinstance(v, tuple) else v for k, v in opts.items()},
              "environment": environment(), "flops": flops,
              "peak": {**peak, "sgemm_gflops": round(sgemm, 1), "sgemm_size": opts["sgemm_size"]},
              "references": REFERENCES, "targets": TARGETS}
    report["environment"]["load_average_before"] = [round(v, 2) for v in load_before]
    seconds = report["section_seconds"] = {}

    def timed(section, fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        seconds[section] = round(time.perf_counter() - start, 1)
        return result

    report["models"], raw = timed("models", measure_models, opts, flops, peak, sgemm)
    report["summary"] = summarize_ratios(raw, opts["modes"])
    if opts["settings"]:
        report["settings"] = timed("settings", measure_runtime_settings, opts)
    if opts["predictor"] and "eval" in opts["modes"]:
        report["predictor"] = timed("predictor", measure_predictor, opts, flops, peak)
    if opts["eca_variants"]:
        report["eca_variants"] = timed("eca_variants", measure_eca_variants, opts)
    if opts["profile"]:
        report["profile"] = timed("profile", measure_profile, opts)
    report["pipeline"] = (timed("pipeline", measure_pipeline, opts) if opts["pipeline"]
                          else {"status": "skipped", "reason": "--no-pipeline"})
    if opts["compare_settings"]:
        report["compare_settings"] = timed("compare_settings", compare_settings, opts)
    report["targets_met"] = targets_met(report)
    report["environment"]["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    return report


def targets_met(report):
    """The issue's targets, evaluated on this report (None: not measured in this run)."""
    summary, models = report["summary"], report["models"]
    met = {}
    for mode in MODES:
        overhead = summary.get(f"eca_overhead_{mode}")
        met[f"eca_overhead_{mode}<=3%"] = None if overhead is None else overhead["median"] <= TARGETS["eca_overhead_max"]
        fraction = models.get(OURS, {}).get(f"{mode}_fraction_of_peak")
        met[f"{OURS}_{mode}>=50%_of_peak"] = None if fraction is None else fraction >= TARGETS["fraction_of_peak_min"]
    predictor = report.get("predictor", {}).get("img_s", {}).get(f"predictor:{OURS}")
    met[f"{OURS}_eval>=50%_of_peak_via_paddle_inference"] = (
        None if predictor is None else predictor["fraction_of_peak"] >= TARGETS["fraction_of_peak_min"])
    ratio = report.get("compare_settings", {}).get("ratios", {}).get("tuned_ours_vs_default_notebook_train")
    met["tuned_vs_default_notebook_train>=3x"] = None if ratio is None else ratio >= TARGETS["tuned_vs_default_notebook_train_min"]
    return met


def format_summary(report):
    """A few human-readable lines: img/s per model and mode, overheads, targets."""
    lines = [f"batch {report['options']['batch_size']}, {report['options']['input_size']} px, "
             f"{report['options']['repeats']} interleaved repeats x {report['options']['steps']} steps; "
             f"load {report['environment']['load_average_before'][0]} -> {report['environment']['load_average_after'][0]}; "
             f"{report['peak']['threads_used']} thread(s), {report['options']['clock']} clock; peak of those cores "
             f"{report['peak']['gflops_threads_used']:.0f} GFLOP/s, sgemm {report['peak']['sgemm_gflops']:.0f} GFLOP/s"]
    for name, entry in report["models"].items():
        parts = [f"{mode} {entry[f'{mode}_img_s']['median']:.1f} img/s ({entry[f'{mode}_gflops']:.0f} GFLOP/s, "
                 f"{100 * entry[f'{mode}_fraction_of_peak']:.0f}% of peak)"
                 for mode in report["options"]["modes"]]
        lines.append(f"  {name:24s} " + "; ".join(parts))
    for key, stats in report["summary"].items():
        lines.append(f"  {key:34s} median {stats['median']:+.3f} [{stats['min']:+.3f}, {stats['max']:+.3f}]")
    if report.get("predictor", {}).get("status") == "ok":
        lines.append("  paddle.inference predictor (eval): " + "; ".join(
            f"{label} {stats['median']:.1f} img/s ({100 * stats['fraction_of_peak']:.0f}% of peak)"
            for label, stats in report["predictor"]["img_s"].items()))
    if "eca_variants" in report:
        lines.append(f"  fastest exact ECA forward+backward: {report['eca_variants']['fastest_forward_backward']}")
    if "compare_settings" in report:
        for key, value in report["compare_settings"]["ratios"].items():
            lines.append(f"  {key:44s} {value:.2f}x")
    lines.append(f"  targets met: {report['targets_met']}")
    lines.append(f"  elapsed {report['elapsed_s']} s")
    return "\n".join(lines)


def add_arguments(parser):
    """Add the benchmark's options to an argparse parser (names map onto `run_benchmark`)."""
    d = DEFAULTS
    parser.add_argument("--quick", action="store_true", help=f"seconds-long smoke run: {QUICK}")
    parser.add_argument("--batch-size", type=positive_int, help=f"default {d['batch_size']}")
    parser.add_argument("--input-size", type=positive_int, help=f"pixels per side, default {d['input_size']}")
    parser.add_argument("--repeats", type=positive_int, help=f"interleaved timed repeats, default {d['repeats']}")
    parser.add_argument("--steps", type=positive_int, help=f"steps per timed repeat, default {d['steps']}")
    parser.add_argument("--warmup", type=int, help=f"untimed steps per model and mode, default {d['warmup']}")
    parser.add_argument("--models", nargs="+", help=f"default {' '.join(d['models'])}; also {OURS}:<pool>+<mix>")
    parser.add_argument("--modes", nargs="+", choices=MODES, help="default: train eval")
    parser.add_argument("--threads", type=positive_int, help="set the thread count in-process (default: keep)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), help="wall (default) or cpu: process CPU time, robust to "
                        "other processes' load; meaningful with --threads 1")
    parser.add_argument("--onednn", action="store_true", default=None, help="FLAGS_use_mkldnn / FLAGS_use_onednn on")
    parser.add_argument("--to-static", action="store_true", default=None, help="models through paddle.jit.to_static")
    for section in ("settings", "predictor", "eca-variants", "profile", "pipeline"):
        parser.add_argument(f"--no-{section}", dest=section.replace("-", "_"), action="store_false", default=None,
                            help=f"skip the {section} section")
    for section in ("settings", "eca", "profile"):
        parser.add_argument(f"--{section}-repeats", type=positive_int,
                            help=f"repeats of the {section} section, default {d[section + '_repeats']}")
    parser.add_argument("--pipeline-images", type=positive_int, help=f"default {d['pipeline_images']}")
    parser.add_argument("--pipeline-workers", type=int, help=f"DataLoader workers, default {d['pipeline_workers']}")
    parser.add_argument("--pipeline-preset", help=f"transform preset, default {d['pipeline_preset']}")
    parser.add_argument("--peak-gflops", type=float, help="fp32 peak to compare with (default: from /proc/cpuinfo)")
    parser.add_argument("--ghz", type=float, help="clock for the computed peak (default: /proc/cpuinfo)")
    parser.add_argument("--sgemm-size", type=positive_int, help=f"matmul side for the sgemm roofline, default {d['sgemm_size']}")
    parser.add_argument("--compare-settings", action="store_true", default=None,
                        help="also rerun the model benchmark in subprocesses with start-up settings on/off")
    parser.add_argument("--compare-rounds", type=positive_int, help=f"default {d['compare_rounds']}")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--output", metavar="FILE", help="write the JSON report here (default: stdout)")
    parser.add_argument("--quiet", action="store_true", help="no human-readable summary on stderr")
    return parser


def main(argv=None):
    parser = add_arguments(argparse.ArgumentParser(prog="benchmarks/research.py", description=__doc__.split("\n")[0]))
    args = vars(parser.parse_args(argv))
    output, quiet = args.pop("output"), args.pop("quiet")
    options = {k: v for k, v in args.items() if v is not None}
    try:
        report = run_benchmark(**options)
    except (ValueError, TypeError) as err:
        parser.error(str(err))
    text = json.dumps(report, indent=1)
    if output:
        with open(output, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    if not quiet:
        print(format_summary(report), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
