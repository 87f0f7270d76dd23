"""The training loop of the course notebook, made repeatable and resumable.

Recipe: Adam (L2 weight decay through its `weight_decay` argument), CosineAnnealingDecay over all
steps and stepped every batch, label-smoothing cross entropy, validation after every epoch,
best and last checkpoints. Added here: each epoch's randomness (shuffle order, dropout, random
augmentation, mixup) is derived from (seed, epoch), so a run resumed at an epoch boundary
repeats the uninterrupted run exactly on CPU; crash-proof checkpoints; a history JSON; a clear
error on a non-finite loss; Ctrl-C that leaves a resumable run; AMP on GPU (loss in float32,
overflowing steps skipped by the loss scaler); multi-process data parallel under
`python -m paddle.distributed.launch`. Progress: tqdm bars on a terminal or in Jupyter, and a line per epoch.
"""
import dataclasses
import functools
import io
import math
import os
import sys
import time
from dataclasses import dataclass

import numpy as np
import paddle
import paddle.distributed as dist
from tqdm.auto import tqdm

from ..data.mixup import MIX_MODES, mix_batch, mixed_loss
from ..losses import LabelSmoothingCrossEntropy
from ..utils import count_parameters, on_gpu, seed_everything
from .checkpoint import (atomic_write_bytes, checkpoint_exists, load_checkpoint, prepare_run_dir,
                         read_checkpoint_meta, save_checkpoint, write_json)
from .evaluate import check_labels, evaluate
from .history import environment_info, new_history, save_history

# config fields that may change when a run is resumed (they do not change the numbers)
RESUMABLE_CHANGES = ("progress", "num_workers", "visualdl_dir")


@dataclass
class TrainConfig:
    """Settings of a training run; the defaults are the notebook's recipe.

    Args:
        epochs: passes over the training set (notebook: 50).
        batch_size: global batch size; under multi-process training each of W processes takes
            batch_size / W (must divide).
        lr: initial learning rate of Adam, annealed by a cosine over epochs * steps per epoch.
        weight_decay: L2 coefficient given to `paddle.optimizer.Adam(weight_decay=...)`.
        label_smoothing: epsilon of the label-smoothing cross entropy.
        seed: base seed; epoch e uses seeds derived from (seed, e).
        log_every: record the training loss in the history every this many batches (notebook: 10).
        num_workers: DataLoader worker processes. Default 0, not the notebook's 4: on a CPU with
            few cores worker processes compete with the compute threads, and
            with 0 the augmentation runs in the main process under the per-epoch seeds, which is
            what the bitwise resume guarantee is tested with. Raise it on a GPU machine.
        drop_last, shuffle: as in `paddle.io.DataLoader` (notebook: both True).
        mixup_alpha: Beta(alpha, alpha) mixing strength; 0 switches mixup off (the notebook's
            published runs effectively had it off).
        mixup_mode: "mixup" or "cutmix", passed to `ecapaddle.data.mixup.mix_batch` (checked
            only when mixup is on).
        amp: float16 autocast + loss scaling: False, True (needs a GPU) or "auto" (on iff a GPU is used).
        progress: one summary line per epoch (main process only), with tqdm bars when the output
            is a terminal or Jupyter (none in log files).
        eval_batch_size: batch size for validation; None uses batch_size.
        visualdl_dir: where VisualDL (`pip install visualdl`; AI Studio has it) logs train/loss and train/lr per
            logged step, train/acc, val/loss and val/acc per epoch (`visualdl --logdir DIR`); None: no log.
    """
    epochs: int = 50
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-5
    label_smoothing: float = 0.1
    seed: int = 42
    log_every: int = 10
    num_workers: int = 0
    drop_last: bool = True
    shuffle: bool = True
    mixup_alpha: float = 0.0
    mixup_mode: str = "mixup"
    amp: object = False
    progress: bool = True
    eval_batch_size: object = None
    visualdl_dir: object = None

    def __post_init__(self):
        for name, minimum in (("epochs", 1), ("batch_size", 1), ("log_every", 1), ("num_workers", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        if self.eval_batch_size is not None and (not isinstance(self.eval_batch_size, int)
                                                 or self.eval_batch_size < 1):
            raise ValueError(f"eval_batch_size must be None or an integer >= 1, got {self.eval_batch_size!r}")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2 ** 32:
            raise ValueError(f"seed must be an integer in [0, 2**32), got {self.seed!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")
        if not (isinstance(self.weight_decay, (int, float)) and 0 <= self.weight_decay < math.inf):
            raise ValueError(f"weight_decay must be a finite number >= 0, got {self.weight_decay!r}")
        if not (isinstance(self.label_smoothing, (int, float)) and 0 <= self.label_smoothing < 1):
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if not (isinstance(self.mixup_alpha, (int, float)) and 0 <= self.mixup_alpha < math.inf):
            raise ValueError(f"mixup_alpha must be a finite number >= 0 (0 = off), got {self.mixup_alpha!r}")
        if self.mixup_alpha > 0 and self.mixup_mode not in MIX_MODES:
            raise ValueError(f"mixup_mode must be one of {MIX_MODES}, got {self.mixup_mode!r}")
        if not (self.amp is True or self.amp is False or self.amp == "auto"):
            raise ValueError(f"amp must be False, True or 'auto', got {self.amp!r}")

    def to_dict(self):
        """The fields as a dict (config.json); TrainConfig(**it) gives the config back."""
        return dataclasses.asdict(self)


class NonFiniteLossError(FloatingPointError):
    """The (float32) training loss became NaN or infinite; the epoch is not saved."""

    def __init__(self, epoch, step, loss, lr):
        self.epoch, self.step, self.loss, self.lr = epoch, step, loss, lr
        super().__init__(
            f"training loss is {loss} at epoch {epoch}, step {step} (lr {lr:.3g}); training stopped "
            f"and this epoch was not saved: the last checkpoint of a completed epoch is kept. Usual causes: "
            f"a learning rate too high, bad input data (NaN pixels), or float16 overflow in the forward pass with amp.")


def _visualdl_writer(logdir):
    try:
        from visualdl import LogWriter
    except ImportError:
        raise ImportError(f"visualdl_dir={str(logdir)!r} needs VisualDL: pip install visualdl (or leave it None)") from None
    return LogWriter(logdir=str(logdir))


def epoch_seed(seed, epoch, rank=0):
    """A 32-bit seed for one epoch of one process, derived from (seed, epoch, rank)."""
    return int(np.random.SeedSequence([seed, epoch, rank]).generate_state(1)[0])


def _use_amp(amp):
    if amp == "auto":
        return on_gpu()
    if amp and not on_gpu():
        raise ValueError("amp=True needs a GPU (Paddle's float16 autocast and loss scaling are GPU-only "
                         "here); use amp='auto' or amp=False.")
    return amp


def _distributed_context():
    """(world size, rank); sets up the process group when launched with several processes."""
    world = dist.get_world_size()
    if world > 1 and not dist.is_initialized():
        dist.init_parallel_env()
    return world, dist.get_rank()


def config_changes(config, saved):
    """The fields of `config` that differ from the `saved` config dict and forbid resuming that run, each as
    "name (saved value -> new value)"."""
    return [f"{k} ({saved.get(k)!r} -> {v!r})" for k, v in config.to_dict().items()
            if k not in RESUMABLE_CHANGES and saved.get(k) != v]


class _Run:
    """The state of one training run; `train` below drives it epoch by epoch."""

    def __init__(self, model, train_set, val_set, config, out_dir, model_name, data_info, evaluator=None):
        self.world, self.rank = _distributed_context()
        if config.batch_size % self.world:
            raise ValueError(
                f"batch_size {config.batch_size} must be divisible by the {self.world} processes")
        self.config, self.out_dir = config, out_dir
        self.is_main = self.rank == 0
        self.show = config.progress and self.is_main
        self.model = model
        self.net = paddle.DataParallel(model) if self.world > 1 else model
        self.val_set = val_set
        self.amp = _use_amp(config.amp)
        self.evaluate = evaluator or functools.partial(evaluate, amp=self.amp)
        self.sampler = paddle.io.DistributedBatchSampler(
            train_set, batch_size=config.batch_size // self.world, num_replicas=self.world, rank=self.rank,
            shuffle=config.shuffle, drop_last=config.drop_last)
        self.steps_per_epoch = len(self.sampler)
        if self.steps_per_epoch == 0:
            raise ValueError(f"the training set ({len(train_set)} items) holds no full batch of "
                             f"{config.batch_size}; lower batch_size or set drop_last=False")
        self.loader = paddle.io.DataLoader(train_set, batch_sampler=self.sampler,
                                           num_workers=config.num_workers)
        self.scheduler = paddle.optimizer.lr.CosineAnnealingDecay(
            config.lr, T_max=self.steps_per_epoch * config.epochs)
        self.optimizer = paddle.optimizer.Adam(learning_rate=self.scheduler, parameters=self.net.parameters(),
                                               weight_decay=config.weight_decay)
        self.criterion = LabelSmoothingCrossEntropy(config.label_smoothing)
        self.scaler = paddle.amp.GradScaler() if self.amp else None
        model_info = {"name": model_name or type(model).__name__, "class": type(model).__name__,
                      "params": count_parameters(model)}
        data = {"train_size": len(train_set), "val_size": len(val_set), **(data_info or {})}
        self.history = new_history(model_info, config.to_dict(), data, environment_info(self.world))
        self.global_step = 0
        self.curves = _visualdl_writer(config.visualdl_dir) if config.visualdl_dir and self.is_main else None

    def log_scalars(self, step, **values):
        """Values to VisualDL, each under the tag given by its name ("train_loss" -> "train/loss")."""
        if self.curves is not None:
            for name, value in values.items():
                self.curves.add_scalar(tag=name.replace("_", "/", 1), value=float(value), step=step)

    # ---- checkpoints ----
    def path(self, name):
        return os.path.join(self.out_dir, name)

    def say(self, text):
        """Print a line (main process, progress on); above the bars on a terminal."""
        if self.show:
            tqdm.write(text)
            sys.stdout.flush()

    def resume(self):
        """Continue from out_dir/last if it exists; return the first epoch to run."""
        prefix = self.path("last")
        if not checkpoint_exists(prefix):
            self.say(f"resume: no checkpoint in {self.out_dir} yet, starting from epoch 1")
            return 1
        changes = config_changes(self.config, read_checkpoint_meta(prefix)["config"])   # before loading anything
        if changes:       # the saved config is binding (the cosine schedule, for one, depends on epochs)
            raise ValueError(f"cannot resume {prefix}: the config differs in {', '.join(changes)}. Use the run's "
                             f"config (config.json in the run directory) or start a new out_dir.")
        meta = load_checkpoint(self.model, prefix, self.optimizer)
        if self.scaler is not None and meta.get("scaler"):
            self.scaler.load_state_dict(meta["scaler"])
        self.history.update({k: meta["history"][k] for k in ("steps", "epochs", "best", "total_time_s")})
        self.global_step = meta["global_step"]
        self.say(f"resume: continuing {prefix} after epoch {meta['epoch']}")
        return meta["epoch"] + 1

    def save(self, epoch, improved, num_classes):
        scaler = self.scaler.state_dict() if self.scaler is not None else {}
        meta = {"model_name": self.history["model"]["name"], "num_classes": num_classes,
                "epoch": epoch, "global_step": self.global_step,
                "val_acc": self.history["epochs"][-1]["val_acc"], "config": self.config.to_dict(),
                "scaler": {k: v.tolist() if hasattr(v, "tolist") else v for k, v in scaler.items()},  # JSON
                "history": self.history}
        save_checkpoint(self.path("last"), self.model, self.optimizer, meta, also=("best",) if improved else ())
        save_history(self.history, self.path("history.json"))

    # ---- one epoch ----
    def _forward_loss(self, images, labels, rng):
        """(logits, loss, labels_a, labels_b, lam); without mixup (rng None) labels_b is labels_a and lam 1.

        The loss is computed in float32 from float32 logits, also under AMP.
        """
        labels_a, labels_b, lam = labels, labels, 1.0
        if rng is not None:
            images, labels_a, labels_b, lam = mix_batch(images, labels, self.config.mixup_alpha,
                                                        self.config.mixup_mode, rng)
        with paddle.amp.auto_cast(enable=self.amp):
            logits = self.net(images)
        if logits.dtype != paddle.float32:
            logits = logits.astype("float32")
        check_labels(labels.numpy(), logits.shape[1])
        if rng is not None:
            loss = mixed_loss(self.criterion, logits, labels_a, labels_b, lam)
        else:
            loss = self.criterion(logits, labels_a)
        return logits, loss, labels_a, labels_b, lam

    def _optimizer_step(self, loss):
        """Backward and update. Under AMP the scaler skips a step whose float16 gradients
        overflowed (and lowers its scale); that is not an error."""
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        self.optimizer.clear_grad()
        self.scheduler.step()
        self.global_step += 1

    def _mean_over_processes(self, value):
        """The mean of `value` over the processes: the loss of the whole (global) batch. It also makes them all
        see a NaN together and stop together (a process stopping alone would leave the others waiting forever)."""
        if self.world == 1:
            return value
        total = paddle.to_tensor([value], dtype="float64")
        dist.all_reduce(total)
        return total.item() / self.world

    def train_epoch(self, epoch):
        """One pass over the training set; returns (mean loss, accuracy, images/s).

        Each batch's loss is read from the device after its step; a NaN/inf loss raises NonFiniteLossError.
        """
        self.net.train()
        mixup = self.config.mixup_alpha > 0
        rng = np.random.default_rng(epoch_seed(self.config.seed, epoch, self.rank)) if mixup else None
        loss_sum, correct, seen = 0.0, 0.0, 0
        start = time.perf_counter()
        # a bar updated by hand: tqdm.auto given the loader itself would call iter() on it twice, and
        # the orphan Paddle iterator's prefetch thread would race for the sampler and the RNGs
        bar = tqdm(total=self.steps_per_epoch, desc=f"epoch {epoch}/{self.config.epochs}", leave=False,
                   disable=None if self.show else True)       # None: bars on a terminal or in Jupyter only
        for batch_index, (images, labels) in enumerate(self.loader):
            labels = labels.reshape([-1])
            lr = self.optimizer.get_lr()
            logits, loss, labels_a, labels_b, lam = self._forward_loss(images, labels, rng)
            self._optimizer_step(loss)
            local_loss = float(loss)
            step_loss = self._mean_over_processes(local_loss)
            if not math.isfinite(step_loss):
                raise NonFiniteLossError(epoch, self.global_step, step_loss, lr)
            preds = logits.argmax(axis=1)
            correct += lam * _hits(preds, labels_a) + (1 - lam) * _hits(preds, labels_b)
            loss_sum += local_loss * preds.shape[0]     # local sums, added over processes after the epoch
            seen += preds.shape[0]
            if batch_index % self.config.log_every == 0:
                self.history["steps"].append({"step": self.global_step, "epoch": epoch, "loss": step_loss, "lr": lr})
                self.log_scalars(self.global_step, train_loss=step_loss, train_lr=lr)
                bar.set_postfix(loss=f"{step_loss:.4f}", lr=f"{lr:.2e}", refresh=False)
            bar.update()
        bar.close()
        if self.world > 1:
            totals = paddle.to_tensor([loss_sum, correct, seen], dtype="float64")
            dist.all_reduce(totals)
            loss_sum, correct, seen = totals.numpy().tolist()
        return loss_sum / seen, float(correct / seen), seen / (time.perf_counter() - start)

    def _evaluate(self, dataset, keep_probs=False):
        """The run's evaluator on `dataset`, with the run's batch size, loss, loader workers and progress bars."""
        return self.evaluate(self.model, dataset, batch_size=self.config.eval_batch_size or self.config.batch_size,
                             loss_fn=self.criterion, num_workers=self.config.num_workers, progress=self.show,
                             keep_probs=keep_probs)

    def test(self, test_set):
        """Evaluate the final weights (and the best-on-validation ones) once on `test_set` with the run's evaluator.

        Stores history["test"]; with an out_dir also writes predictions.npz for the final weights:
        index [N] (item indices in the test split), label, pred [N] and top5_class, top5_prob [N, 5]
        (float16), small enough to commit.
        """
        final = self._evaluate(test_set, keep_probs=True)
        result = {"n": final["n"], "final": _summary(final), "best": None}
        best_epoch = self.history["best"]["epoch"]
        if best_epoch == self.history["epochs"][-1]["epoch"]:
            result["best"] = {"epoch": best_epoch, **result["final"]}   # the best weights are the final ones
        elif self.out_dir is not None and checkpoint_exists(self.path("best")):
            load_checkpoint(self.model, self.path("best"))
            result["best"] = {"epoch": best_epoch, **_summary(self._evaluate(test_set))}
            load_checkpoint(self.model, self.path("last"))      # leave the model with its final weights
        self.history["test"] = result
        if self.out_dir is not None:
            top5 = np.argsort(-final["probs"], axis=1)[:, :5]
            index = np.asarray(getattr(test_set, "indices", np.arange(final["n"])), dtype=np.int32)
            atomic_write_bytes(self.path("predictions.npz"), _npz_bytes(
                index=index, label=final["labels"].astype(np.uint8), pred=final["preds"].astype(np.uint8),
                top5_class=top5.astype(np.uint8),
                top5_prob=np.take_along_axis(final["probs"], top5, axis=1).astype(np.float16)))
            save_history(self.history, self.path("history.json"))
        best = result["best"]
        self.say(f"test ({result['n']} images): final weights acc {result['final']['acc']:.4f}"
                 + (f", best-on-validation weights (epoch {best['epoch']}) acc {best['acc']:.4f}" if best else ""))

    def run_epoch(self, epoch):
        start = time.perf_counter()
        seed_everything(epoch_seed(self.config.seed, epoch, self.rank))
        self.sampler.set_epoch(epoch_seed(self.config.seed, epoch))   # same order in every process
        lr = self.optimizer.get_lr()
        train_loss, train_acc, train_img_s = self.train_epoch(epoch)
        val = self._evaluate(self.val_set)     # every process the whole set: the same numbers in all
        record = {"epoch": epoch, "train_loss": train_loss, "train_acc": train_acc,
                  "val_loss": val["loss"], "val_acc": val["acc"], "lr": lr,
                  "time_s": time.perf_counter() - start, "train_img_s": train_img_s,
                  "val_img_s": val["img_s"]}
        self.log_scalars(epoch, train_acc=train_acc, val_loss=val["loss"], val_acc=val["acc"])
        history = self.history
        history["epochs"].append(record)
        history["total_time_s"] += record["time_s"]
        improved = history["best"]["val_acc"] is None or record["val_acc"] > history["best"]["val_acc"]
        if improved:
            history["best"] = {"epoch": epoch, "val_acc": record["val_acc"]}
        if self.out_dir is not None and self.is_main:
            self.save(epoch, improved, num_classes=len(val["per_class_acc"]))
        self.say(f"epoch {epoch}/{self.config.epochs}: "
                 f"train loss {train_loss:.4f} acc {train_acc:.4f} | "
                 f"val loss {val['loss']:.4f} acc {val['acc']:.4f} | {record['time_s']:.1f} s, "
                 f"train {train_img_s:.0f} img/s, val {val['img_s']:.0f} img/s")


def _hits(preds, labels):
    return int((preds == labels).astype("int64").sum())


def _summary(result):
    return {"acc": result["acc"], "loss": result["loss"], "per_class_acc": result["per_class_acc"]}


def _npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped `train`; the message says what was saved and how to resume."""


def _resume_hint(epoch, done, out_dir):
    if out_dir is None:
        hint = "Nothing was saved (no out_dir given)."
    elif done == 0:
        hint = f"No epoch was completed, so {out_dir} holds no checkpoint yet."
    else:
        hint = (f"Epoch {done} is saved in {out_dir}; continue with "
                f"train(..., out_dir={out_dir!r}, resume=True). The interrupted epoch will restart "
                f"from its beginning (resuming mid-epoch is not supported).")
    return f"Training interrupted during epoch {epoch}. {hint}"


def train(model, train_set, val_set, config=None, out_dir=None, resume=False, overwrite=False,
          model_name=None, data_info=None, test_set=None, evaluator=None):
    """Train `model` on `train_set`, validating on `val_set` after every epoch; return the history.

    Args:
        model: a `paddle.nn.Layer` classifier, images [N, 3, H, W] -> logits [N, K]. Seed before
            building it (`ecapaddle.seed_everything(config.seed)`) for a repeatable initialisation.
        train_set, val_set: `paddle.io.Dataset`s of (image float32 [3, H, W], int64 label) items.
        config: a `TrainConfig`; None uses the notebook's recipe.
        out_dir: where checkpoints (best/last pointers to ckpt-* folders), config.json and
            history.json go (see ecapaddle.engine.checkpoint); None saves nothing.
        resume: continue the run in out_dir from its last completed epoch (starts at epoch 1 if it
            has none yet). The config must match the saved one except for RESUMABLE_CHANGES.
        overwrite: let a new run replace the run files in out_dir (the old run's checkpoints are
            deleted once the new run's first checkpoint supersedes them; other files stay).
        model_name: the name in history and checkpoints (e.g. "alexnet_eca"); default the class name.
        data_info: extra JSON-serialisable facts about the data, stored in history["data"].
        test_set: optional held-out test set, evaluated once after the last epoch with the final
            weights and with the best-on-validation weights (history["test"], predictions.npz).
            Never used for a choice during training.
        evaluator: what evaluates the model on val_set and test_set: a function called as
            evaluator(model, dataset, batch_size=, loss_fn=, num_workers=, progress=, keep_probs=) that returns
            `evaluate`'s dict. None = `ecapaddle.engine.evaluate` in dynamic mode (under AMP when the run
            uses it); the CLI and the course pass a Paddle Inference one (`ecapaddle.inference.training_evaluator`).

    Returns the history dict (schema in ecapaddle.engine.history). Raises NonFiniteLossError if the
    loss becomes NaN/inf; on Ctrl-C raises TrainingInterrupted (a KeyboardInterrupt) whose message says
    how to resume.

    Repeatability: on CPU, the same model initialisation, data and config give a bitwise-identical
    history apart from the wall-time fields, and a run resumed from its last checkpoint ends with
    the same weights and history as an uninterrupted one (tested with num_workers=0). Checkpoints
    are written at epoch ends only, so a resumed run repeats the interrupted epoch from its start.
    Under `python -m paddle.distributed.launch` every process runs this function; batches are split
    across processes, each validates on the whole val_set, only process 0 writes files and shows progress.
    """
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if resume and out_dir is None:
        raise ValueError("resume=True needs the out_dir of the run to continue")
    run = _Run(model, train_set, val_set, config, out_dir, model_name, data_info, evaluator)
    first_epoch = 1
    if out_dir is not None:
        # in every process, so that all of them stop on an error
        prepare_run_dir(out_dir, resume=resume, overwrite=overwrite)
        if resume:
            first_epoch = run.resume()
        if run.world > 1:
            dist.barrier()     # everyone has checked and loaded before the main process writes
        if run.is_main:
            write_json(run.path("config.json"), config.to_dict())
            if first_epoch > 1:      # a crash may have come between a checkpoint and its history.json
                save_history(run.history, run.path("history.json"))
    epoch = first_epoch
    try:
        for epoch in range(first_epoch, config.epochs + 1):
            run.run_epoch(epoch)
        if test_set is not None and run.is_main:
            run.test(test_set)
    except KeyboardInterrupt:
        raise TrainingInterrupted(_resume_hint(epoch, len(run.history["epochs"]), out_dir)) from None
    finally:
        if run.curves is not None:
            run.curves.close()
    return run.history
