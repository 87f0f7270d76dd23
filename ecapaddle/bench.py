"""Throughput of AlexNet and AlexNet-ECA on CPU: `python -m ecapaddle bench [--output FILE]`.

The model alone on a fixed synthetic batch, in the timed blocks of KINDS. Every repeat runs one block of each
kind for both models, taking turns to go first, so that a change in the machine's load hits both alike; ECA's
overhead (ECA's time / AlexNet's - 1) is paired within a repeat. benchmarks/README.md explains the report.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import paddle

from . import runtime
from .engine.history import environment_info
from .export import create_predictor, export_model, run_predictor
from .losses import LabelSmoothingCrossEntropy
from .models import AlexNet, AlexNetECA

SCHEMA = "ecapaddle.bench/3"
BASE, OURS = "alexnet", "alexnet_eca"
MODELS = {BASE: AlexNet, OURS: AlexNetECA}
INPUT_SIZE = 128
KINDS = ("train", "train_1_thread", "eval_dynamic", "eval_predictor")
# (figure of the report, "min" or "max", bound): each figure is a ratio of two measurements of one run
TARGETS = (("predictor_vs_dynamic_eval", "min", 3.0),
           ("eca_overhead_train", "max", 0.03),
           ("eca_overhead_eval_predictor", "max", 0.05))
# batch 128: the batch of the training recipes
DEFAULTS = dict(batch_size=128, repeats=9, steps=3, warmup=2, threads=None, seed=0)
QUICK = dict(batch_size=2, repeats=2, steps=1, warmup=1)


def summarize(values):
    """{median, min, max, repeats} of a list of measurements."""
    v = np.asarray(values, dtype="float64")
    return {"median": float(np.median(v)), "min": float(v.min()), "max": float(v.max()),
            "repeats": [round(float(x), 4) for x in v]}


def paired_overhead(eca_img_s, base_img_s):
    """ECA's time / AlexNet's time - 1 for each repeat, from the two models' images/s of the same repeats."""
    return [base / eca - 1 for eca, base in zip(eca_img_s, base_img_s)]


def check_targets(figures):
    """{figure: {"value", "min" or "max", "met"}} for each of `TARGETS`; `figures` maps names to values."""
    return {name: {"value": figures[name], kind: bound,
                   "met": bool(figures[name] >= bound if kind == "min" else figures[name] <= bound)}
            for name, kind, bound in TARGETS}


class DynamicRunner:
    """One model, its Adam optimizer and a fixed synthetic batch; times training or evaluation steps."""

    def __init__(self, name, batch_size, seed=0):
        paddle.seed(seed)
        self.model = MODELS[name]()
        self.optimizer = paddle.optimizer.Adam(learning_rate=1e-3, parameters=self.model.parameters())
        self.loss_fn = LabelSmoothingCrossEntropy(0.1)
        self.images = paddle.randn([batch_size, 3, INPUT_SIZE, INPUT_SIZE])     # [N, 3, 128, 128]
        self.labels = paddle.randint(0, 10, [batch_size])                        # [N]

    def seconds(self, mode, steps):
        """Wall time of `steps` training ("train") or evaluation ("eval") steps."""
        if mode == "train":
            self.model.train()
        else:
            self.model.eval()
        start = time.perf_counter()
        for _ in range(steps):
            if mode == "train":
                out = self.loss_fn(self.model(self.images), self.labels)
                out.backward()
                self.optimizer.step()
                self.optimizer.clear_grad()
            else:
                with paddle.no_grad():
                    out = self.model(self.images)
        out.numpy()                                     # wait for the last step's result
        return time.perf_counter() - start


class PredictorRunner:
    """A model exported with `ecapaddle.export_model` and run by a Paddle Inference predictor (evaluation)."""

    def __init__(self, name, batch_size, directory, threads, seed=0):
        paddle.seed(seed)
        prefix = os.path.join(directory, name)
        export_model(MODELS[name](), prefix, input_shape=(None, 3, INPUT_SIZE, INPUT_SIZE))
        self.predictor = create_predictor(prefix, cpu_threads=threads)
        shape = (batch_size, 3, INPUT_SIZE, INPUT_SIZE)
        self.images = np.random.default_rng(seed).standard_normal(shape).astype("float32")

    def seconds(self, steps):
        """Wall time of `steps` predictor runs on the batch."""
        start = time.perf_counter()
        for _ in range(steps):
            run_predictor(self.predictor, self.images)
        return time.perf_counter() - start


def run_benchmark(quick=False, **options):
    """Measure every block interleaved; returns the JSON-serialisable report. Options: `DEFAULTS` (see `main`'s
    help); `quick=True` applies `QUICK` first, explicit options win."""
    opts = {**DEFAULTS, **(QUICK if quick else {}), **options}
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown benchmark options {sorted(unknown)}; valid: {sorted(DEFAULTS)}")
    for key in ("batch_size", "repeats", "steps", "warmup", "threads"):
        value = opts[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{key} must be a positive int, got {value!r}")
    opts["threads"] = opts["threads"] or runtime.available_cores()
    threads_before = runtime.num_threads()
    try:
        return _run(opts)
    finally:
        runtime.set_num_threads(threads_before)        # leave the calling process as it was


def _run(opts):
    started, load_before = time.perf_counter(), os.getloadavg()
    batch, steps = opts["batch_size"], opts["steps"]
    raw = {kind: {name: [] for name in MODELS} for kind in KINDS}
    dynamic = {name: DynamicRunner(name, batch, opts["seed"]) for name in MODELS}
    with tempfile.TemporaryDirectory() as tmp:
        predictors = {name: PredictorRunner(name, batch, tmp, opts["threads"], opts["seed"]) for name in MODELS}
        runtime.set_num_threads(opts["threads"])
        for name in MODELS:                             # warm-up, not timed
            dynamic[name].seconds("train", opts["warmup"])
            dynamic[name].seconds("eval", opts["warmup"])
            predictors[name].seconds(opts["warmup"])
        for repeat in range(opts["repeats"]):
            # set again in every repeat: a predictor run changes the thread settings of the calling thread
            runtime.set_num_threads(opts["threads"])
            order = list(MODELS) if repeat % 2 == 0 else list(MODELS)[::-1]     # neither always goes first
            for name in order:
                raw["train"][name].append(batch * steps / dynamic[name].seconds("train", steps))
            for name in order:
                raw["eval_dynamic"][name].append(batch * steps / dynamic[name].seconds("eval", steps))
            for name in order:
                raw["eval_predictor"][name].append(batch * steps / predictors[name].seconds(steps))
            runtime.set_num_threads(1)
            for name in order:
                raw["train_1_thread"][name].append(batch * steps / dynamic[name].seconds("train", steps))
    img_s = {kind: {name: summarize(values) for name, values in per_model.items()} for kind, per_model in raw.items()}
    overhead = {kind: summarize(paired_overhead(per_model[OURS], per_model[BASE])) for kind, per_model in raw.items()}
    ours = {kind: img_s[kind][OURS]["median"] for kind in KINDS}
    headline = {"train_img_s": ours["train"], "eval_img_s_dynamic": ours["eval_dynamic"],
                "eval_img_s_predictor": ours["eval_predictor"],
                **{f"eca_overhead_{kind}": overhead[kind]["median"] for kind in KINDS}}
    ratios = {"predictor_vs_dynamic_eval": ours["eval_predictor"] / ours["eval_dynamic"],
              "train_thread_scaling": ours["train"] / ours["train_1_thread"]}
    return {"schema": SCHEMA, "model": OURS, "headline": headline, "ratios": ratios,
            "targets": check_targets({**headline, **ratios}),
            "img_s": img_s, "eca_overhead": overhead, "options": opts,
            "environment": {**environment_info(), "load_average_before": [round(v, 2) for v in load_before],
                            "load_average_after": [round(v, 2) for v in os.getloadavg()]},
            "elapsed_s": round(time.perf_counter() - started, 1)}


def format_summary(report):
    """A few human-readable lines: the headline figures, the ratios and the targets."""
    o, env = report["options"], report["environment"]
    lines = [f"AlexNet-ECA, batch {o['batch_size']}, {o['repeats']} interleaved repeats x {o['steps']} steps, "
             f"{o['threads']} thread(s); {env['cpu_model']}; "
             f"load {env['load_average_before'][0]} -> {env['load_average_after'][0]}"]
    for key, value in report["headline"].items():
        lines.append(f"  {key:32s} {100 * value:+.1f} %" if key.startswith("eca_overhead")
                     else f"  {key:32s} {value:.1f} img/s")
    lines += [f"  {key:32s} {value:.2f}x" for key, value in report["ratios"].items()]
    for key, target in report["targets"].items():
        bound = f">= {target['min']}" if "min" in target else f"<= {target['max']}"
        lines.append(f"  target {key} {bound}: {'met' if target['met'] else 'not met'}")
    lines.append(f"  elapsed {report['elapsed_s']} s")
    return "\n".join(lines)


def main(argv=None):
    """`python -m ecapaddle bench`: run, write the JSON to --output (or stdout), summary on stderr."""
    parser = argparse.ArgumentParser(prog="ecapaddle bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"seconds-long smoke run: {QUICK}")
    for name, help_text in (("batch-size", "images per step"), ("repeats", "interleaved repeats"),
                            ("steps", "timed steps per block"), ("warmup", "untimed steps per model and mode"),
                            ("threads", "threads of this process and the predictor (default: all cores)")):
        default = DEFAULTS[name.replace("-", "_")]
        # type=int: run_benchmark rejects values < 1 with a one-line error
        parser.add_argument(f"--{name}", type=int, help=f"{help_text}; default {default or 'auto'}")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--output", metavar="FILE", help="write the JSON report here (default: stdout)")
    parser.add_argument("--quiet", action="store_true", help="no human-readable summary on stderr")
    args = vars(parser.parse_args(argv))
    output, quiet = args.pop("output"), args.pop("quiet")
    runtime.use_fast_mkl()          # as `python -m ecapaddle` does, also when run as benchmarks/throughput.py
    try:
        report = run_benchmark(**{k: v for k, v in args.items() if v is not None})
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = json.dumps(report, indent=1)
    if output:
        Path(output).write_text(text + "\n")
    else:
        print(text)
    if not quiet:
        print(format_summary(report), file=sys.stderr)
    return 0
