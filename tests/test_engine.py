"""Training loop, history record and evaluation (ecapaddle.engine)."""
import io
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import paddle
import pytest

from ecapaddle.engine import (NonFiniteLossError, TrainConfig, confusion_matrix, evaluate, load_checkpoint,
                              load_history, per_class_accuracy, train, validate_history)
from ecapaddle.engine.checkpoint import RunExistsError, read_checkpoint_meta
from ecapaddle.engine.history import HistoryError, environment_info, save_history, without_wall_time
from ecapaddle.engine.train import _Run
from ecapaddle.utils import seed_everything

NUM_CLASSES = 4


class Blobs(paddle.io.Dataset):
    """Learnable toy data: images [3, size, size] of unit noise around one of four colours."""
    COLOURS = np.array([[1, -1, -1], [-1, 1, -1], [-1, -1, 1], [1, 1, 1]], dtype="float32")

    def __init__(self, n, size=16, seed=0):
        rng = np.random.default_rng(seed)
        self.labels = rng.integers(0, NUM_CLASSES, n).astype("int64")
        noise = rng.normal(0, 1, (n, 3, size, size))
        self.images = (noise + self.COLOURS[self.labels][:, :, None, None]).astype("float32")

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]


class FailingNet(paddle.nn.Layer):
    """Wraps a net; from its `at`-th training forward pass on, returns NaN logits ("nan") or raises
    KeyboardInterrupt ("interrupt", a Ctrl-C arriving in the main thread)."""

    def __init__(self, net, at, failure):
        super().__init__()
        self.net, self.at, self.failure, self.calls = net, at, failure, 0

    def forward(self, x):
        self.calls += self.training
        if not self.training or self.calls < self.at:
            return self.net(x)
        if self.failure == "interrupt":
            raise KeyboardInterrupt
        return self.net(x) * float("nan")


def tiny_net(seed=0, num_classes=NUM_CLASSES, dropout=0.2):
    """A conv net for any image size, with dropout so that the dropout RNG matters for determinism."""
    seed_everything(seed)
    return paddle.nn.Sequential(
        paddle.nn.Conv2D(3, 8, 3, padding=1), paddle.nn.ReLU(), paddle.nn.AdaptiveAvgPool2D(1),
        paddle.nn.Flatten(), paddle.nn.Dropout(dropout), paddle.nn.Linear(8, num_classes))


def config(**changes):
    values = dict(epochs=2, batch_size=16, lr=3e-2, log_every=2, progress=False)
    return TrainConfig(**{**values, **changes})


TRAIN, VAL = Blobs(256), Blobs(64, seed=1)     # 16 steps of 16 per epoch


def params(model):
    return {k: v.numpy() for k, v in model.state_dict().items()}


# ---- config ----

def test_config_defaults_are_the_notebook_recipe_and_serialise():
    c = TrainConfig()
    assert (c.epochs, c.batch_size, c.lr, c.weight_decay, c.label_smoothing, c.seed, c.log_every) == \
        (50, 128, 1e-3, 1e-5, 0.1, 42, 10)
    assert TrainConfig(**json.loads(json.dumps(c.to_dict()))) == c


@pytest.mark.parametrize("changes, message", [
    ({"epochs": -1}, "epochs must be an integer >= 1"),
    ({"batch_size": 0}, "batch_size must be an integer >= 1"),
    ({"lr": float("nan")}, "lr must be a positive finite"),
    ({"label_smoothing": 1.0}, "label_smoothing must be in"),
    ({"amp": "yes"}, "amp must be False, True or 'auto'"),
    ({"mixup_alpha": 0.2, "mixup_mode": "blend"}, "mixup_mode must be one of"),
])
def test_bad_config_values_are_clear_errors(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


def test_labels_outside_the_model_outputs_are_a_clear_error():
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\) for a model with 3 outputs; .* 0..3"):
        train(tiny_net(num_classes=3), TRAIN, VAL, config(epochs=1))


def test_amp_without_gpu():
    if not paddle.is_compiled_with_cuda():
        with pytest.raises(ValueError, match="amp=True needs a GPU"):
            train(tiny_net(), TRAIN, VAL, config(amp=True))


# ---- training ----

@pytest.mark.slow
def test_one_epoch_beats_chance_and_writes_a_valid_history(tmp_path):
    history = train(tiny_net(), TRAIN, VAL, config(epochs=1), out_dir=str(tmp_path), model_name="tiny",
                    data_info={"source": "Blobs"})
    assert history["epochs"][0]["val_acc"] > 1 / NUM_CLASSES + 0.2
    assert validate_history(history) is history
    assert history["model"] == {"name": "tiny", "class": "Sequential", "params": 3 * 8 * 9 + 8 + 8 * 4 + 4}
    assert history["data"] == {"train_size": 256, "val_size": 64, "source": "Blobs"}
    assert [s["step"] for s in history["steps"]] == list(range(1, 16, 2))   # batches 0, 2, ... of 16
    assert history["best"] == {"epoch": 1, "val_acc": history["epochs"][0]["val_acc"]}
    assert history["env"]["paddle"] == paddle.__version__
    assert load_history(tmp_path / "history.json") == json.loads(json.dumps(history))
    assert TrainConfig(**json.loads((tmp_path / "config.json").read_text())) == config(epochs=1)
    for name in ("best", "last"):
        meta = load_checkpoint(tiny_net(), tmp_path / name)
        assert (meta["epoch"], meta["model_name"], meta["num_classes"]) == (1, "tiny", NUM_CLASSES)


@pytest.mark.slow
def test_lr_follows_the_cosine_schedule_stepped_every_batch():
    history = train(tiny_net(), TRAIN, VAL, config(epochs=2, log_every=1))
    total = 2 * 16
    expected = [0.5 * 3e-2 * (1 + np.cos(np.pi * i / total)) for i in range(total)]
    np.testing.assert_allclose([s["lr"] for s in history["steps"]], expected, rtol=1e-6)
    assert [e["lr"] for e in history["epochs"]] == [history["steps"][0]["lr"], history["steps"][16]["lr"]]


@pytest.mark.slow
def test_same_seed_gives_a_bitwise_identical_history():
    first = train(tiny_net(), TRAIN, VAL, config())
    second = train(tiny_net(), TRAIN, VAL, config())
    other_seed = train(tiny_net(), TRAIN, VAL, config(seed=7))
    assert without_wall_time(first)["epochs"] == without_wall_time(second)["epochs"]
    assert first["steps"] == second["steps"]
    assert [s["loss"] for s in first["steps"]] != [s["loss"] for s in other_seed["steps"]]


@pytest.mark.slow
def test_resume_after_ctrl_c_repeats_the_uninterrupted_run(tmp_path, capsys):
    reference_model = tiny_net()
    reference = train(reference_model, TRAIN, VAL, config())

    # Ctrl-C in the 3rd batch of epoch 2 (16 batches per epoch)
    with pytest.raises(KeyboardInterrupt) as interrupted:
        train(FailingNet(tiny_net(), 16 + 3, "interrupt"), TRAIN, VAL, config(), out_dir=str(tmp_path))
    message = str(interrupted.value)
    for words in ("interrupted during epoch 2", "Epoch 1 is saved", "resume=True"):
        assert words in message
    assert read_checkpoint_meta(tmp_path / "last")["epoch"] == 1

    # a fresh process would build the model anew: other seed, other Paddle parameter names
    resumed_model = tiny_net(seed=123)
    resumed = train(FailingNet(resumed_model, 10 ** 9, "interrupt"), TRAIN, VAL, config(progress=True),
                    out_dir=str(tmp_path), resume=True)
    assert without_wall_time(resumed)["epochs"] == without_wall_time(reference)["epochs"]
    assert resumed["steps"] == reference["steps"]
    for key, value in params(reference_model).items():
        np.testing.assert_array_equal(params(resumed_model)[key], value, err_msg=key)
    assert load_history(tmp_path / "history.json")["epochs"][-1]["epoch"] == 2


@pytest.mark.slow
def test_resume_refuses_a_changed_config_before_loading_any_weights(tmp_path):
    train(tiny_net(), TRAIN, VAL, config(epochs=1), out_dir=str(tmp_path))
    model = tiny_net(seed=9)
    before = params(model)
    with pytest.raises(ValueError, match=r"config differs in lr \(0.03 -> 0.1\)"):
        train(model, TRAIN, VAL, config(epochs=1, lr=0.1), out_dir=str(tmp_path), resume=True)
    for key, value in before.items():
        np.testing.assert_array_equal(params(model)[key], value, err_msg=key)


@pytest.mark.slow
def test_existing_run_dir_is_refused_unless_resume_or_overwrite(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    train(tiny_net(), TRAIN, VAL, config(epochs=1), out_dir=str(tmp_path))    # a foreign file is fine
    with pytest.raises(RunExistsError, match="already holds a training run"):
        train(tiny_net(), TRAIN, VAL, config(epochs=1), out_dir=str(tmp_path))
    again = train(tiny_net(), TRAIN, VAL, config(epochs=1, seed=3), out_dir=str(tmp_path), overwrite=True)
    assert load_history(tmp_path / "history.json")["config"]["seed"] == 3 == again["config"]["seed"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    finished = train(tiny_net(), TRAIN, VAL, config(epochs=1, seed=3), out_dir=str(tmp_path), resume=True)
    assert finished["epochs"] == again["epochs"]          # nothing left to train


@pytest.mark.slow
def test_non_finite_loss_stops_with_a_clear_error_and_keeps_the_last_checkpoint(tmp_path):
    # read back every 8 batches (after batch 24): detected late, reported at the batch where it began
    with pytest.raises(NonFiniteLossError, match="loss is nan at epoch 2, step 19") as info:
        train(FailingNet(tiny_net(), 19, "nan"), TRAIN, VAL, config(epochs=3, log_every=8), out_dir=str(tmp_path))
    assert (info.value.epoch, info.value.step) == (2, 19)
    assert load_checkpoint(FailingNet(tiny_net(), 1, "nan"), tmp_path / "last")["epoch"] == 1
    assert load_history(tmp_path / "history.json")["epochs"][-1]["epoch"] == 1
    with pytest.raises(NonFiniteLossError, match="at epoch 1"):
        train(tiny_net(), TRAIN, VAL, config(lr=1e30))


@pytest.mark.slow
def test_mixup_and_cutmix_are_seeded_per_epoch():
    plain = train(tiny_net(), TRAIN, VAL, config(epochs=1))
    for mode in ("mixup", "cutmix"):
        first = train(tiny_net(), TRAIN, VAL, config(epochs=1, mixup_alpha=0.4, mixup_mode=mode))
        second = train(tiny_net(), TRAIN, VAL, config(epochs=1, mixup_alpha=0.4, mixup_mode=mode))
        assert first["steps"] == second["steps"]
        assert first["steps"] != plain["steps"]
        assert 0 < first["epochs"][0]["train_acc"] < 1


# ---- progress output ----

class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.slow
def test_progress_in_a_log_file_is_one_line_per_epoch_without_carriage_returns(capsys):
    train(tiny_net(), TRAIN, VAL, config(log_every=1, progress=True))     # capsys is not a terminal
    out = capsys.readouterr()
    assert "\r" not in out.out + out.err
    assert [line.split(":")[0] for line in out.out.splitlines()] == ["epoch 1/2", "epoch 2/2"]


@pytest.mark.slow
def test_progress_on_a_terminal_draws_bars(capsys, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    train(tiny_net(), TRAIN, VAL, config(epochs=1, log_every=1, progress=True))
    assert "\r" in terminal.getvalue() and "epoch 1/1" in terminal.getvalue()
    out = capsys.readouterr().out
    assert "epoch 1/1: train loss" in out and " step " not in out


# ---- the GPU paths' logic, on CPU ----

def no_evaluation(model, dataset, **kwargs):
    """An evaluator that reads nothing from the device: chance-level numbers for 4 classes."""
    return {"loss": 1.0, "acc": 0.25, "per_class_acc": [0.25] * 4, "confusion": [[0] * 4] * 4, "img_s": 1.0,
            "n": len(dataset)}


def test_the_loss_is_logged_every_log_every_batches():
    history = train(tiny_net(), TRAIN, VAL, config(epochs=1, log_every=8), evaluator=no_evaluation)
    assert [s["step"] for s in history["steps"]] == [1, 9]


HALF_LOGITS = [3.0, -2.0, 0.5, 0.25]       # exact in float16


class HalfPrecisionLogits(paddle.nn.Layer):
    """Float16 logits, as autocast gives them on a GPU."""

    def __init__(self):
        super().__init__()
        self.gain = self.create_parameter([1], default_initializer=paddle.nn.initializer.Constant(1.0))

    def forward(self, images):
        return (paddle.to_tensor([HALF_LOGITS]).tile([images.shape[0], 1]) * self.gain).astype("float16")


def test_the_loss_is_computed_in_float32_from_float16_logits():
    history = train(HalfPrecisionLogits(), TRAIN, VAL, config(epochs=1, shuffle=False), evaluator=no_evaluation)
    neg_log_p = -(np.array(HALF_LOGITS) - np.log(np.exp(HALF_LOGITS).sum()))
    first_batch = TRAIN.labels[:16]                 # the loss before the first update
    expected = np.mean(0.9 * neg_log_p[first_batch] + 0.1 * neg_log_p.mean())
    assert history["steps"][0]["loss"] == pytest.approx(expected, rel=1e-6)     # float16 is off by about 1e-3


class OverflowingScaler:
    """Stands in for paddle.amp.GradScaler (GPU-only): every other step's scaled gradients overflow,
    and the scaler skips those updates, as GradScaler does."""

    def __init__(self):
        self.steps = self.skipped = 0

    def scale(self, loss):
        self.steps += 1
        return loss * (float("inf") if self.steps % 2 else 1.0)

    def step(self, optimizer):
        grads = [p.grad for p in optimizer._parameter_list if p.grad is not None]
        if all(bool(paddle.isfinite(g).all()) for g in grads):
            optimizer.step()
        else:
            self.skipped += 1

    def update(self):
        pass


def test_steps_the_loss_scaler_skips_do_not_stop_the_run():
    model = tiny_net()
    run = _Run(model, TRAIN, VAL, config(), None, None, None)     # a GPU-only scaler is put in by hand
    run.scaler = OverflowingScaler()
    before = params(model)
    train_loss, _, _ = run.train_epoch(1)                 # no NonFiniteLossError
    assert run.scaler.skipped == 8 and np.isfinite(train_loss)
    after = params(model)
    assert all(np.isfinite(value).all() for value in after.values())
    assert any((after[key] != value).any() for key, value in before.items())    # the other 8 steps count


# ---- on the synthetic CIFAR-10 archive of ecapaddle.data ----

@pytest.fixture(scope="module")
def synthetic_archive(tmp_path_factory):
    from ecapaddle.data import make_synthetic_cifar10
    return make_synthetic_cifar10(tmp_path_factory.mktemp("cifar"), n_train=320, n_test=200, seed=0)


@pytest.mark.slow
def test_random_augmentation_is_repeatable_through_the_per_epoch_seeds(synthetic_archive):
    from ecapaddle.data import build_transforms, load_cifar10
    augmenting = build_transforms("notebook", train=True, size=32)
    train_set = load_cifar10("train", synthetic_archive, transform=augmenting, subset=128)
    test_set = load_cifar10("test", synthetic_archive, transform=build_transforms("notebook", False, 32))
    runs = [train(tiny_net(num_classes=10), train_set, test_set, config(epochs=2)) for _ in range(2)]
    assert runs[0]["steps"] == runs[1]["steps"]
    assert without_wall_time(runs[0])["epochs"] == without_wall_time(runs[1])["epochs"]


@pytest.mark.slow
def test_alexnet_one_epoch_on_synthetic_cifar10_beats_chance(synthetic_archive):
    """AlexNet at 128 px with the notebook's augmentation: 320 images, 1 epoch."""
    from ecapaddle import AlexNet
    from ecapaddle.data import load_cifar10
    train_set = load_cifar10("train", synthetic_archive, transform="notebook")
    test_set = load_cifar10("test", synthetic_archive, transform="notebook")
    seed_everything(0)
    history = train(AlexNet(), train_set, test_set,
                    TrainConfig(epochs=1, batch_size=16, seed=0, progress=False), model_name="alexnet")
    assert history["data"] == {"train_size": 320, "val_size": 200}
    assert history["epochs"][0]["val_acc"] > 0.2            # chance is 0.1 (std 0.02 over 200 images)


# ---- history ----

@pytest.mark.slow
def test_history_validation_and_load_errors(tmp_path):
    history = train(tiny_net(), TRAIN, VAL, config(epochs=1))
    broken = {k: v for k, v in history.items() if k != "best"}
    with pytest.raises(HistoryError, match=r"misses the keys \['best'\]"):
        validate_history(broken)
    path = tmp_path / "h.json"
    path.write_text(json.dumps(dict(history, format_version=99)))
    with pytest.raises(HistoryError, match=r"h.json: .*format_version 99 is newer"):
        load_history(path)
    path.write_text(json.dumps(history)[:-20])
    with pytest.raises(HistoryError, match=r"history file .*h.json is truncated or corrupt"):
        load_history(path)
    with pytest.raises(FileNotFoundError, match="history file not found"):
        load_history(tmp_path / "nothing.json")
    history["epochs"][0] = {k: v for k, v in history["epochs"][0].items() if k != "val_img_s"}
    with pytest.raises(HistoryError, match=r"epochs\[0\] misses \['val_img_s'\]"):
        save_history(history, path)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity on this system")
def test_history_cpu_count_is_the_cpus_this_process_may_use(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})     # as under `taskset -c 0` or a 1-CPU container
    assert environment_info()["cpu_count"] == 1


# ---- evaluation ----

def test_confusion_matrix_and_per_class_accuracy_by_hand():
    labels = [0, 0, 1, 1, 1, 2]
    preds = [0, 1, 1, 1, 0, 0]
    expected = [[1, 1, 0, 0],
                [1, 2, 0, 0],
                [1, 0, 0, 0],
                [0, 0, 0, 0]]
    assert confusion_matrix(labels, preds, 4).tolist() == expected
    assert per_class_accuracy(confusion_matrix(labels, preds, 4)) == [0.5, 2 / 3, 0.0, None]
    with pytest.raises(ValueError, match=r"must be in \[0, 4\)"):
        confusion_matrix([0, 4], [0, 0], 4)


class FixedLogits(paddle.io.Dataset):
    """Items whose 'image' is the logit vector itself, for an identity model."""

    def __init__(self, logits, labels):
        self.logits, self.labels = np.asarray(logits, "float32"), np.asarray(labels, "int64")

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.logits[i], self.labels[i]


def test_evaluate_on_a_hand_made_example():
    logits = np.array([[3, 0, 0], [0, 2, 0], [1, 0, 0], [0, 0, 5], [0, 4, 0]], dtype="float32")
    data = FixedLogits(logits, [0, 1, 1, 2, 2])           # correct: items 0, 1, 3
    model = paddle.nn.Identity()
    result = evaluate(model, data, batch_size=2)
    assert result["acc"] == 0.6 and result["n"] == 5
    assert result["confusion"] == [[1, 0, 0], [1, 1, 0], [0, 1, 1]]
    assert result["per_class_acc"] == [1.0, 0.5, 0.5]
    expected_loss = float(paddle.nn.functional.cross_entropy(paddle.to_tensor(logits),
                                                             paddle.to_tensor(data.labels)))
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-6)
    assert result["img_s"] > 0 and model.training               # train mode restored


# ---- a hard kill ----

KILL_SCRIPT = textwrap.dedent("""
    import json, os, pathlib, signal, sys
    sys.path.insert(0, {tests!r})
    import ecapaddle
    import test_engine as t

    POINTER = pathlib.Path(sys.argv[1]) / "last.ckpt.json"

    class KilledInEpoch3(t.Blobs):
        def __getitem__(self, i):
            if POINTER.exists() and json.loads(POINTER.read_text())["epoch"] == 2:
                os.kill(os.getpid(), signal.SIGKILL)       # the first image read after epoch 2 was saved
            return super().__getitem__(i)

    t.train(t.tiny_net(), KilledInEpoch3(256), t.VAL, t.config(epochs=4), out_dir=sys.argv[1], resume=True)
""")


@pytest.mark.slow
def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path):
    reference_model = tiny_net()
    reference = train(reference_model, TRAIN, VAL, config(epochs=4))
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT.format(tests=os.path.dirname(__file__)))
    out_dir = tmp_path / "run"
    killed = subprocess.run([sys.executable, str(script), str(out_dir)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert json.loads((out_dir / "last.ckpt.json").read_text())["epoch"] == 2      # killed inside epoch 3

    resumed_model = tiny_net(seed=5)
    resumed = train(resumed_model, TRAIN, VAL, config(epochs=4), out_dir=str(out_dir), resume=True)
    assert without_wall_time(resumed)["epochs"] == without_wall_time(reference)["epochs"]
    for key, value in params(reference_model).items():
        np.testing.assert_array_equal(params(resumed_model)[key], value, err_msg=key)


# ---- two processes (paddle.distributed.launch, gloo on CPU) ----

DISTRIBUTED_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import ecapaddle
    import test_engine as t

    t.train(t.tiny_net(dropout=0.0), t.TRAIN, t.VAL, t.config(batch_size=32), out_dir=sys.argv[1])
""")


@pytest.mark.slow
def test_two_processes_match_one_process_with_the_same_global_batch(tmp_path):
    """Data parallel over 2 CPU processes (16 images each) vs 1 process (32 images per step)."""
    script = tmp_path / "ddp.py"
    script.write_text(DISTRIBUTED_SCRIPT.format(tests=os.path.dirname(__file__)))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    launched = subprocess.run(
        [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", "2",
         "--log_dir", str(tmp_path / "log"), str(script), str(tmp_path / "run")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    logs = "".join(p.read_text() for p in sorted((tmp_path / "log").glob("workerlog.*")))
    assert launched.returncode == 0, launched.stdout[-2000:] + logs[-3000:]

    single_model = tiny_net(dropout=0.0)
    single = train(single_model, TRAIN, VAL, config(batch_size=32))
    parallel = load_history(tmp_path / "run" / "history.json")
    assert parallel["env"]["world_size"] == 2
    np.testing.assert_allclose([s["loss"] for s in parallel["steps"]], [s["loss"] for s in single["steps"]],
                               rtol=1e-4)
    for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
        np.testing.assert_allclose([e[key] for e in parallel["epochs"]], [e[key] for e in single["epochs"]],
                                   rtol=1e-4, err_msg=key)
    parallel_model = tiny_net(dropout=0.0)
    load_checkpoint(parallel_model, tmp_path / "run" / "last")
    for key, value in params(single_model).items():
        np.testing.assert_allclose(params(parallel_model)[key], value, rtol=1e-4, atol=1e-6, err_msg=key)


def test_visualdl_logs_the_curves_the_history_records(tmp_path):
    visualdl = pytest.importorskip("visualdl", reason="VisualDL is not installed (pip install visualdl)")
    history = train(tiny_net(), TRAIN, VAL, config(visualdl_dir=str(tmp_path / "vdl")))
    (log,) = (tmp_path / "vdl").iterdir()
    reader = visualdl.LogReader(file_path=str(log))

    def curve(tag):
        records = reader.get_data("scalar", tag)
        return [r.id for r in records], [r.value for r in records]

    assert curve("train/loss") == ([s["step"] for s in history["steps"]],
                                   pytest.approx([s["loss"] for s in history["steps"]], rel=1e-6))
    assert curve("val/acc") == ([e["epoch"] for e in history["epochs"]],
                                pytest.approx([e["val_acc"] for e in history["epochs"]], rel=1e-6))
    assert curve("train/lr")[0] == [s["step"] for s in history["steps"]]


def test_visualdl_dir_without_visualdl_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "visualdl", None)          # what `import visualdl` does when it is missing
    with pytest.raises(ImportError, match="pip install visualdl"):
        train(tiny_net(), TRAIN, VAL, config(visualdl_dir=str(tmp_path / "vdl")))
