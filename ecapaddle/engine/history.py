"""The history record of a training run: the JSON hand-off from training to plots and tables.

Schema (format_version 1):
    format_version  int
    model           {name, class, params}
    config          the full TrainConfig as a dict
    env             {paddle, device, gpu, cpu_model, cpu_count, threads, OMP_NUM_THREADS, MKL_DEBUG_CPU_TYPE,
                     FLAGS_use_mkldnn, python, ecapaddle, world_size}
    data            {train_size, val_size, ...whatever the caller passed as data_info}
    steps           [{step, epoch, loss, lr}] every `log_every` batches: optimizer step (from 1), that
                    batch's training loss and the rate it used
    epochs          [{epoch, train_loss, train_acc, val_loss, val_acc, lr (of the first batch), time_s
                     (training + validation), train_img_s, val_img_s (data loading included)}]
    best            {epoch, val_acc} (None, None before the first epoch)
    total_time_s    sum of the epochs' time_s (so it survives resuming)
    test            optional: {n, final: {acc, loss, per_class_acc}, best: {epoch, acc, loss, per_class_acc}
                    or None without checkpoints}, with the final and the best-on-validation weights
The wall-time fields (WALL_TIME_KEYS, total_time_s) are the only ones that differ between two identical CPU runs.
"""
import json
import os
import platform

import paddle

from .._version import __version__
from ..runtime import available_cores, cpuinfo_field, num_threads
from .checkpoint import read_json, write_json

FORMAT_VERSION = 1
TOP_KEYS = ("format_version", "model", "config", "env", "data", "steps", "epochs", "best", "total_time_s")
STEP_KEYS = ("step", "epoch", "loss", "lr")
EPOCH_KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "time_s", "train_img_s", "val_img_s")
WALL_TIME_KEYS = ("time_s", "train_img_s", "val_img_s")


class HistoryError(ValueError):
    """A history record does not follow the schema."""


def environment_info(world_size=1):
    """Where a run happened: versions, device, CPU and the runtime settings that change its speed."""
    device = paddle.get_device()
    return {
        "paddle": paddle.__version__,
        "device": device,
        "gpu": paddle.device.cuda.get_device_name() if device.startswith("gpu") else None,
        "cpu_model": cpuinfo_field("model name") or platform.processor() or None,
        "cpu_count": available_cores(),
        "threads": num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "MKL_DEBUG_CPU_TYPE": os.environ.get("MKL_DEBUG_CPU_TYPE"),
        "FLAGS_use_mkldnn": os.environ.get("FLAGS_use_mkldnn"),
        "python": platform.python_version(),
        "ecapaddle": __version__,
        "world_size": world_size,
    }


def new_history(model_info, config, data_info, env=None):
    """An empty history for a run. model_info: {name, class, params}; config: dict; data_info: dict."""
    return {
        "format_version": FORMAT_VERSION,
        "model": dict(model_info),
        "config": dict(config),
        "env": env if env is not None else environment_info(),
        "data": dict(data_info),
        "steps": [],
        "epochs": [],
        "best": {"epoch": None, "val_acc": None},
        "total_time_s": 0.0,
    }


def validate_history(history):
    """Check `history` against the schema above; return it, or raise HistoryError saying what is wrong."""
    if not isinstance(history, dict):
        raise HistoryError(f"a history is a dict, got {type(history).__name__}")
    missing = [k for k in TOP_KEYS if k not in history]
    if missing:
        raise HistoryError(f"history misses the keys {missing} (expected {list(TOP_KEYS)})")
    version = history["format_version"]
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise HistoryError(f"history format_version {version!r} is newer than this ecapaddle reads "
                           f"({FORMAT_VERSION}); upgrade ecapaddle.")
    for name, keys in (("steps", STEP_KEYS), ("epochs", EPOCH_KEYS)):
        for i, entry in enumerate(history[name]):
            missing = [k for k in keys if k not in entry]
            if missing:
                raise HistoryError(f"invalid history: {name}[{i}] misses {missing}")
    return history


def without_wall_time(history):
    """A copy of `history` without its wall-time fields: what two identical CPU runs share exactly."""
    copy = {k: v for k, v in history.items() if k != "total_time_s"}
    copy["epochs"] = [{k: v for k, v in epoch.items() if k not in WALL_TIME_KEYS} for epoch in history["epochs"]]
    return json.loads(json.dumps(copy))


def save_history(history, path):
    """Validate and atomically write `history` as JSON to `path`."""
    write_json(path, validate_history(history))


def load_history(path):
    """Read and validate a history JSON file (errors name the file and what is wrong)."""
    history = read_json(path, "history file", error=HistoryError)
    try:
        return validate_history(history)
    except HistoryError as e:
        raise HistoryError(f"{path}: {e}") from e
