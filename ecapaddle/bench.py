"""Throughput of AlexNet-ECA on CPU and ECA's cost: `python -m ecapaddle bench [--output FILE]`.

On a fixed synthetic batch [batch_size, 3, 128, 128] (model only), for AlexNet and AlexNet-ECA:
- training in this process (dynamic mode: forward, label-smoothing loss, backward, Adam step),
  with `threads` threads;
- data-parallel training (AlexNet-ECA) as `train --procs N` does it: `procs` worker processes
  with one thread each, `paddle.DataParallel` over gloo (gradients all-reduced every step), each
  taking batch_size // procs images of the global batch (batch_size when procs divides it); img/s =
  global batch x steps over the wall time of the block;
- evaluation (eval mode, no_grad) in dynamic mode and through Paddle Inference (the model exported
  by `ecapaddle.export`, `threads` threads);
- training in this process with one thread (at batch_size, where each data-parallel worker takes
  batch_size // procs): its ECA overhead, steadier than the multi-threaded one on a shared machine,
  and the split of the data-parallel ratio into the workers' efficiency (their img/s over procs x
  the one-thread img/s) and the single process's thread scaling (`threads` threads over one).
Every repeat runs one block of each measurement in turn, so load drift hits all alike, AlexNet and
AlexNet-ECA in alternating order (AlexNet first in even repeats); an ECA overhead is ECA time /
AlexNet time - 1, paired within a repeat, and its median over the repeats.
The research harness (FLOPs, CPU peak, per-layer times, ECA variants, settings sweeps) is
benchmarks/research.py; the results are in benchmarks/README.md.
"""
import argparse
import json
import os
import socket
import subprocess
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

SCHEMA = "ecapaddle.bench/2"
BASE, OURS = "alexnet", "alexnet_eca"
MODELS = {BASE: AlexNet, OURS: AlexNetECA}
INPUT_SIZE = 128
HEADLINE_KEYS = ("train_img_s_single_process", "train_img_s_data_parallel", "eval_img_s_dynamic",
                 "eval_img_s_predictor", "eca_overhead_train", "eca_overhead_eval_predictor")
# batch 128: the recipes' batch, which `train --procs 2` splits into 64 images per process
DEFAULTS = dict(batch_size=128, repeats=9, steps=3, warmup=2, threads=None, procs=None, seed=0)
QUICK = dict(batch_size=2, repeats=2, steps=1, warmup=1, procs=2)


def summarize(values):
    """{median, min, max, repeats} of a list of measurements."""
    v = np.asarray(values, dtype="float64")
    return {"median": float(np.median(v)), "min": float(v.min()), "max": float(v.max()),
            "repeats": [round(float(x), 4) for x in v]}


def paired_overhead(eca_img_s, base_img_s):
    """ECA time / base time - 1 for each repeat, from paired img/s lists."""
    return [b / e - 1 for e, b in zip(eca_img_s, base_img_s)]


class DynamicRunner:
    """One model, its Adam optimizer and a fixed synthetic batch; times training or evaluation steps."""

    def __init__(self, name, batch_size, seed=0, data_parallel=False):
        paddle.seed(seed)
        self.model = MODELS[name]()
        self.net = paddle.DataParallel(self.model) if data_parallel else self.model     # all-reduces gradients
        self.optimizer = paddle.optimizer.Adam(learning_rate=1e-3, parameters=self.model.parameters())
        self.loss_fn = LabelSmoothingCrossEntropy(0.1)
        self.images = paddle.randn([batch_size, 3, INPUT_SIZE, INPUT_SIZE])     # [N, 3, 128, 128]
        self.labels = paddle.randint(0, 10, [batch_size])                        # [N]

    def train_step(self):
        self.net.train()
        loss = self.loss_fn(self.net(self.images), self.labels)
        loss.backward()
        self.optimizer.step()
        self.optimizer.clear_grad()
        return loss

    def eval_step(self):
        self.model.eval()
        with paddle.no_grad():
            return self.model(self.images)

    def seconds(self, mode, steps):
        step = self.train_step if mode == "train" else self.eval_step
        start = time.perf_counter()
        for _ in range(steps):
            out = step()
        out.numpy()                                     # wait for the last step's result
        return time.perf_counter() - start


class PredictorRunner:
    """A model exported with `ecapaddle.export` and run by a Paddle Inference predictor (evaluation only)."""

    def __init__(self, name, batch_size, directory, threads, seed=0):
        paddle.seed(seed)
        prefix = os.path.join(directory, name)
        export_model(MODELS[name](), prefix, input_shape=(None, 3, INPUT_SIZE, INPUT_SIZE))
        self.predictor = create_predictor(prefix, cpu_threads=threads)
        shape = (batch_size, 3, INPUT_SIZE, INPUT_SIZE)
        self.images = np.random.default_rng(seed).standard_normal(shape).astype("float32")

    def seconds(self, steps):
        with runtime.threads_restored():           # or the dynamic-mode blocks after it run slower
            start = time.perf_counter()
            for _ in range(steps):
                run_predictor(self.predictor, self.images)
            return time.perf_counter() - start


class DataParallelWorkers:
    """`procs` one-thread processes training AlexNet-ECA together, as `train --procs` does.

    The processes form a gloo process group (the environment `paddle.distributed.launch` would set)
    and wrap the model in `paddle.DataParallel`; each trains on batch_size // procs images per step.
    Each reads a step count per line on stdin, runs that many training steps and answers with a
    line (a checksum of its weights, equal in every process when the gradients are all-reduced);
    `images_per_second(steps)` starts all at once and times the block until the last answers.
    """

    def __init__(self, procs, batch_size, warmup, seed=0):
        package_parent = str(Path(__file__).resolve().parent.parent)      # this checkout's ecapaddle
        ports = [_free_port() for _ in range(procs + 1)]
        endpoints = [f"127.0.0.1:{port}" for port in ports[1:]]
        # what paddle.distributed.launch would set for a CPU (gloo) job; GLOG_minloglevel=1 hides its INFO lines
        base_env = dict(os.environ, OMP_NUM_THREADS="1", GLOG_minloglevel="1", PADDLE_DISTRI_BACKEND="gloo",
                        PADDLE_TRAINERS_NUM=str(procs), PADDLE_TRAINER_ENDPOINTS=",".join(endpoints),
                        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(ports[0]),
                        PYTHONPATH=os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])))
        command = [sys.executable, "-c", "import sys; from ecapaddle.bench import worker; worker(*sys.argv[1:])",
                   str(batch_size // procs), str(warmup), str(seed)]
        self.global_batch = batch_size // procs * procs
        self.procs = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                       env=dict(base_env, PADDLE_TRAINER_ID=str(rank),
                                                PADDLE_CURRENT_ENDPOINT=endpoints[rank]))
                      for rank in range(procs)]
        for proc in self.procs:
            self._answer(proc)                          # "ready" after the warm-up steps

    def _answer(self, proc):
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"a data-parallel benchmark worker exited with code {proc.wait()}")
        return line

    def images_per_second(self, steps):
        start = time.perf_counter()
        for proc in self.procs:
            proc.stdin.write(f"{steps}\n")
            proc.stdin.flush()
        self.answers = [self._answer(proc) for proc in self.procs]
        return self.global_batch * steps / (time.perf_counter() - start)

    def close(self):
        for proc in self.procs:
            proc.stdin.close()
        for proc in self.procs:
            proc.wait()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker(batch_size, warmup, seed):
    """The loop of one data-parallel worker process (see `DataParallelWorkers`)."""
    world = int(os.environ.get("PADDLE_TRAINERS_NUM", "1"))
    if world > 1:
        paddle.distributed.init_parallel_env()
    runner = DynamicRunner(OURS, int(batch_size), int(seed) + paddle.distributed.get_rank(), data_parallel=world > 1)
    runner.seconds("train", int(warmup))
    print("ready", flush=True)
    for line in sys.stdin:
        runner.seconds("train", int(line))
        print(sum(float(p.abs().sum()) for p in runner.model.parameters()), flush=True)


def _check_options(opts):
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown benchmark options {sorted(unknown)}; valid: {sorted(DEFAULTS)}")
    for key in ("batch_size", "repeats", "steps", "warmup", "threads", "procs"):
        value = opts[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{key} must be a positive int, got {value!r}")


def run_benchmark(quick=False, **options):
    """Measure every figure interleaved; returns the JSON-serialisable report (see the module docstring).

    Options (`DEFAULTS`; `quick=True` applies `QUICK` first, explicit options win): batch_size,
    repeats, steps (timed steps per block), warmup (untimed steps per runner), threads (of this
    process and the predictor; None: every available core), procs (data-parallel workers; None:
    one per available core), seed.
    """
    opts = {**DEFAULTS, **(QUICK if quick else {}), **options}
    _check_options(opts)
    cores = runtime.available_cores()
    opts["threads"], opts["procs"] = opts["threads"] or cores, opts["procs"] or cores
    if opts["batch_size"] < opts["procs"]:
        raise ValueError(f"batch_size {opts['batch_size']} is smaller than procs {opts['procs']}: each data-parallel "
                         f"process needs at least one image of the global batch")
    with runtime.threads_restored():                    # leave the calling process as it was
        runtime.set_num_threads(opts["threads"])
        return _run(opts)


def _run(opts):
    started = time.perf_counter()
    load_before = os.getloadavg()
    batch, steps = opts["batch_size"], opts["steps"]
    raw = {"train_single_process": {BASE: [], OURS: []}, "train_data_parallel": {OURS: []},
           "eval_dynamic": {BASE: [], OURS: []}, "eval_predictor": {BASE: [], OURS: []},
           "train_single_process_1_thread": {BASE: [], OURS: []}}
    dynamic = {name: DynamicRunner(name, batch, opts["seed"]) for name in MODELS}
    workers = DataParallelWorkers(opts["procs"], batch, opts["warmup"], opts["seed"])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            predictors = {name: PredictorRunner(name, batch, tmp, opts["threads"], opts["seed"]) for name in MODELS}
            for name in MODELS:
                for mode in ("train", "eval"):
                    dynamic[name].seconds(mode, opts["warmup"])
                predictors[name].seconds(opts["warmup"])
            for repeat in range(opts["repeats"]):
                order = list(MODELS) if repeat % 2 == 0 else list(MODELS)[::-1]     # neither always goes first
                for name in order:
                    raw["train_single_process"][name].append(batch * steps / dynamic[name].seconds("train", steps))
                raw["train_data_parallel"][OURS].append(workers.images_per_second(steps))
                for name in order:
                    raw["eval_dynamic"][name].append(batch * steps / dynamic[name].seconds("eval", steps))
                for name in order:
                    raw["eval_predictor"][name].append(batch * steps / predictors[name].seconds(steps))
                with runtime.threads_restored():
                    runtime.set_num_threads(1)
                    for name in order:
                        one_thread = batch * steps / dynamic[name].seconds("train", steps)
                        raw["train_single_process_1_thread"][name].append(one_thread)
    finally:
        workers.close()
    img_s = {kind: {name: summarize(values) for name, values in per_model.items()} for kind, per_model in raw.items()}
    overheads = {kind: summarize(paired_overhead(per_model[OURS], per_model[BASE]))
                 for kind, per_model in raw.items() if BASE in per_model}
    median = {kind: img_s[kind][OURS]["median"] for kind in raw}
    headline = dict(zip(HEADLINE_KEYS, (
        median["train_single_process"], median["train_data_parallel"], median["eval_dynamic"],
        median["eval_predictor"], overheads["train_single_process"]["median"], overheads["eval_predictor"]["median"])))
    return {"schema": SCHEMA, "model": OURS, "headline": headline,
            "data_parallel": {"procs": opts["procs"], "global_batch": workers.global_batch,
                              "batch_per_process": workers.global_batch // opts["procs"]},
            "ratios": {"predictor_vs_dynamic_eval": median["eval_predictor"] / median["eval_dynamic"],
                       "data_parallel_vs_single_process_train":
                           median["train_data_parallel"] / median["train_single_process"],
                       "data_parallel_efficiency":
                           median["train_data_parallel"] / (opts["procs"] * median["train_single_process_1_thread"]),
                       "single_process_thread_scaling":
                           median["train_single_process"] / median["train_single_process_1_thread"]},
            "img_s": img_s, "eca_overhead": overheads, "options": opts,
            "environment": {**environment_info(), "load_average_before": [round(v, 2) for v in load_before],
                            "load_average_after": [round(v, 2) for v in os.getloadavg()]},
            "elapsed_s": round(time.perf_counter() - started, 1)}


def format_summary(report):
    """A few human-readable lines: the headline figures and the ratios."""
    o, env = report["options"], report["environment"]
    lines = [f"AlexNet-ECA, batch {o['batch_size']}, {o['repeats']} interleaved repeats x {o['steps']} steps, "
             f"{o['threads']} thread(s), {o['procs']} data-parallel processes; {env['cpu_model']}; "
             f"load {env['load_average_before'][0]} -> {env['load_average_after'][0]}"]
    for key, value in report["headline"].items():
        lines.append(f"  {key:38s} {100 * value:+.1f} %" if key.startswith("eca_overhead")
                     else f"  {key:38s} {value:.1f}")
    one_thread = report["eca_overhead"]["train_single_process_1_thread"]["median"]
    lines.append(f"  {'(eca_overhead_train with 1 thread)':38s} {100 * one_thread:+.1f} %")
    lines += [f"  {key:38s} {value:.2f}{'' if key.endswith('efficiency') else 'x'}"
              for key, value in report["ratios"].items()]
    lines.append(f"  elapsed {report['elapsed_s']} s")
    return "\n".join(lines)


def main(argv=None):
    """`python -m ecapaddle bench`: run, write the JSON to --output (or stdout), summary on stderr."""
    parser = argparse.ArgumentParser(prog="ecapaddle bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"seconds-long smoke run: {QUICK}")
    for name, help_text in (("batch-size", "images per step"), ("repeats", "interleaved repeats"),
                            ("steps", "timed steps per block"), ("warmup", "untimed steps per runner"),
                            ("threads", "threads of this process and the predictor (default: all cores)"),
                            ("procs", "data-parallel worker processes (default: one per core)")):
        default = DEFAULTS[name.replace("-", "_")]
        # type=int: run_benchmark rejects values < 1 with a one-line error
        parser.add_argument(f"--{name}", type=int, help=f"{help_text}; default {default or 'auto'}")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--output", metavar="FILE", help="write the JSON report here (default: stdout)")
    parser.add_argument("--quiet", action="store_true", help="no human-readable summary on stderr")
    args = vars(parser.parse_args(argv))
    output, quiet = args.pop("output"), args.pop("quiet")
    try:
        report = run_benchmark(**{k: v for k, v in args.items() if v is not None})
    except (ValueError, RuntimeError) as error:
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
