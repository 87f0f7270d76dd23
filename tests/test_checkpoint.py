"""Checkpoints: crash-proof writes, metadata, and clear errors when loading (ecapaddle.engine.checkpoint)."""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import paddle
import pytest

from ecapaddle import AlexNet, AlexNetECA
from ecapaddle.engine import CheckpointError, CheckpointMismatchError, load_checkpoint, save_checkpoint
from ecapaddle.engine.history import without_wall_time
from ecapaddle.engine.checkpoint import (RunExistsError, atomic_write_bytes, checkpoint_paths, prepare_run_dir,
                                         read_checkpoint_meta, resolve_prefix)


def small_net():
    return paddle.nn.Sequential(paddle.nn.Linear(6, 5), paddle.nn.ReLU(), paddle.nn.Linear(5, 3))


def adam_for(model, lr=0.1):
    scheduler = paddle.optimizer.lr.CosineAnnealingDecay(lr, T_max=10)
    return paddle.optimizer.Adam(learning_rate=scheduler, parameters=model.parameters(), weight_decay=1e-5)


def take_steps(model, optimizer, steps=2):
    for _ in range(steps):
        model(paddle.randn([4, 6])).square().mean().backward()
        optimizer.step()
        optimizer.clear_grad()
        optimizer._learning_rate.step()


def saved(tmp_path, tag="last", epoch=1):
    """A trained small net, its optimizer, and the checkpoint prefix they were saved to."""
    model = small_net()
    optimizer = adam_for(model)
    take_steps(model, optimizer)
    prefix = str(tmp_path / tag)
    save_checkpoint(prefix, model, optimizer, {"model_name": "small", "epoch": epoch})
    return model, optimizer, prefix


def files(prefix):
    """The files of the checkpoint at `prefix`, by key (pdparams, pdopt, meta)."""
    return checkpoint_paths(prefix)


def test_round_trip_renames_optimizer_state_to_the_new_parameter_names(tmp_path):
    model, optimizer, prefix = saved(tmp_path)
    fresh = small_net()                                   # new Paddle names, e.g. linear_5.w_0
    fresh_optimizer = adam_for(fresh)
    assert [p.name for p in fresh.parameters()] != [p.name for p in model.parameters()]
    meta = load_checkpoint(fresh, prefix, fresh_optimizer)
    assert (meta["model_name"], meta["epoch"], meta["format_version"]) == ("small", 1, 1)
    assert (meta["model_class"], meta["num_params"]) == ("Sequential", 6 * 5 + 5 + 5 * 3 + 3)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key].numpy(), value.numpy())
    # one more identical step on both: identical results only if the Adam moments were restored
    x = paddle.randn([4, 6])
    for m, o in ((model, optimizer), (fresh, fresh_optimizer)):
        m(x).square().mean().backward()
        o.step()
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key].numpy(), value.numpy())
    assert fresh_optimizer.get_lr() == optimizer.get_lr()


def test_layout_is_a_folder_named_by_a_pointer(tmp_path):
    saved(tmp_path, epoch=3)
    assert sorted(os.listdir(tmp_path)) == ["ckpt-epoch0003", "last.ckpt.json"]
    assert json.loads((tmp_path / "last.ckpt.json").read_text()) == {"checkpoint": "ckpt-epoch0003", "epoch": 3}
    assert sorted(os.listdir(tmp_path / "ckpt-epoch0003")) == ["meta.json", "model.pdparams", "optimizer.pdopt"]
    state = paddle.load(str(tmp_path / "ckpt-epoch0003" / "model.pdparams"))     # plain Paddle reads it
    assert sorted(state) == sorted(small_net().state_dict())


def test_accepts_directory_prefix_pointer_folder_or_file_and_a_bare_notebook_pdparams(tmp_path):
    model, _, prefix = saved(tmp_path)
    folder = tmp_path / "ckpt-epoch0001"
    for path in (tmp_path, prefix, prefix + ".ckpt.json", folder, folder / "model.pdparams", folder / "meta.json"):
        assert load_checkpoint(small_net(), path)["epoch"] == 1
        assert read_checkpoint_meta(path)["epoch"] == 1
        assert resolve_prefix(resolve_prefix(path)) == resolve_prefix(path)
    paddle.save(model.state_dict(), str(tmp_path / "notebook.pdparams"))     # the notebook's format
    assert load_checkpoint(small_net(), tmp_path / "notebook.pdparams") is None
    with pytest.raises(CheckpointError, match="bare weights file without optimizer state"):
        load_checkpoint(small_net(), tmp_path / "notebook.pdparams", adam_for(small_net()))


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no checkpoint at .*best: .*best.ckpt.json does not exist"):
        load_checkpoint(small_net(), tmp_path / "best")
    _, _, prefix = saved(tmp_path)
    os.remove(files(prefix)["pdopt"])
    with pytest.raises(FileNotFoundError, match=r"ckpt-epoch0001.optimizer.pdopt"):
        load_checkpoint(small_net(), prefix, adam_for(small_net()))
    shutil.rmtree(tmp_path / "ckpt-epoch0001")
    with pytest.raises(FileNotFoundError, match=r"model.pdparams. Use the run's other checkpoint"):
        load_checkpoint(small_net(), prefix)
    (tmp_path / "last.ckpt.json").write_text('{"checkpoint": "../elsewhere"}')
    with pytest.raises(CheckpointError, match=r"last.ckpt.json is not a checkpoint pointer"):
        load_checkpoint(small_net(), prefix)


def test_truncated_file_is_a_clear_error(tmp_path):
    model, _, prefix = saved(tmp_path)
    bare = tmp_path / "notebook.pdparams"                 # no checksum: paddle.load itself must fail
    paddle.save(model.state_dict(), str(bare))
    for path in (files(prefix)["pdparams"], bare):
        data = open(path, "rb").read()
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"model.pdparams is truncated, corrupt, or from another save"):
        load_checkpoint(small_net(), prefix)
    with pytest.raises(CheckpointError, match=r"notebook.pdparams is truncated or corrupt: paddle.load failed"):
        load_checkpoint(small_net(), bare)


def test_corrupt_metadata_and_newer_format(tmp_path):
    _, _, prefix = saved(tmp_path)
    meta_path = files(prefix)["meta"]
    meta = json.loads(open(meta_path).read())
    with open(meta_path, "w") as f:
        json.dump(dict(meta, format_version=2), f)
    with pytest.raises(CheckpointError, match=r"format_version 2; this ecapaddle reads up to 1. Upgrade"):
        load_checkpoint(small_net(), prefix)
    with open(meta_path, "w") as f:
        f.write('{"format_version": 1, "sha')
    with pytest.raises(CheckpointError, match=r"meta.json is truncated or corrupt"):
        load_checkpoint(small_net(), prefix)


@pytest.mark.filterwarnings("ignore:The input state dict is empty")     # Adam before its first step
def test_weights_of_another_model_list_the_keys_and_name_the_source(tmp_path):
    alexnet = AlexNet()
    save_checkpoint(str(tmp_path / "best"), alexnet, paddle.optimizer.Adam(parameters=alexnet.parameters()),
                    {"model_name": "alexnet", "epoch": 3})
    eca = AlexNetECA()
    before = eca.state_dict()["features.0.weight"].numpy()
    with pytest.raises(CheckpointMismatchError) as info:
        load_checkpoint(eca, tmp_path / "best")
    message = str(info.value)
    assert "do not fit AlexNetECA (7,524,061 parameters)" in message
    assert "checkpoint of AlexNet 'alexnet' (7,524,042 parameters, epoch 3)" in message
    assert "missing keys (11): features.1.conv.weight" in message
    assert "unexpected keys (6): features.10.bias" in message
    assert "features.8.weight: checkpoint [192, 192, 3, 3] vs model [192, 128, 3, 3]" in message
    np.testing.assert_array_equal(eca.state_dict()["features.0.weight"].numpy(), before)   # untouched


def test_optimizer_state_of_another_run_or_type(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, _, prefix = saved(tmp_path / "a")
    _, _, other = saved(tmp_path / "b")
    os.replace(files(other)["pdopt"], files(prefix)["pdopt"])       # a .pdopt copied in from another run
    with pytest.raises(CheckpointError, match=r"optimizer.pdopt is truncated, corrupt, or from another save"):
        load_checkpoint(small_net(), prefix, adam_for(small_net()))
    model = small_net()
    with pytest.raises(CheckpointMismatchError, match="holds Adam state, not SGD"):
        load_checkpoint(model, other, paddle.optimizer.SGD(parameters=model.parameters()))


def test_a_crash_before_the_rename_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model, optimizer, prefix = saved(tmp_path, epoch=1)
    take_steps(model, optimizer)

    def crash(src, dst):
        raise OSError("simulated crash between writing the temporary file and replacing")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        save_checkpoint(prefix, model, optimizer, {"model_name": "small", "epoch": 2})
    with pytest.raises(OSError, match="simulated crash"):
        atomic_write_bytes(prefix + ".ckpt.json", b"{}")
    monkeypatch.undo()
    assert load_checkpoint(small_net(), prefix, adam_for(small_net()))["epoch"] == 1
    save_checkpoint(prefix, model, optimizer, {"model_name": "small", "epoch": 2})
    assert sorted(os.listdir(tmp_path)) == ["ckpt-epoch0002", "last.ckpt.json"]      # the temporaries went


def test_leftovers_of_a_killed_save_are_ignored_then_removed(tmp_path):
    model, optimizer, prefix = saved(tmp_path, epoch=1)
    for leftover in (".ckpt-abc.partial", "ckpt-epoch0002"):        # a half-written and an unreferenced folder
        (tmp_path / leftover).mkdir()
        (tmp_path / leftover / "model.pdparams").write_bytes(b"half")
    (tmp_path / ".history.json.xyz.partial").write_bytes(b"{")
    assert load_checkpoint(small_net(), prefix, adam_for(small_net()))["epoch"] == 1
    save_checkpoint(prefix, model, optimizer, {"model_name": "small", "epoch": 2}, also=("best",))
    assert sorted(os.listdir(tmp_path)) == ["best.ckpt.json", "ckpt-epoch0002", "last.ckpt.json"]
    assert load_checkpoint(small_net(), prefix)["epoch"] == 2


def test_a_folder_name_in_use_is_not_replaced(tmp_path):
    """A new run in an old run's folder (overwrite=True) saves epoch 1 while "best" still names the old one."""
    model, optimizer, prefix = saved(tmp_path, epoch=1)
    save_checkpoint(prefix, model, optimizer, {"model_name": "small", "epoch": 1}, also=("best",))
    take_steps(model, optimizer)
    save_checkpoint(prefix, model, optimizer, {"model_name": "new", "epoch": 1})
    assert sorted(os.listdir(tmp_path)) == ["best.ckpt.json", "ckpt-epoch0001", "ckpt-epoch0001-2", "last.ckpt.json"]
    assert read_checkpoint_meta(tmp_path / "best")["model_name"] == "small"
    assert read_checkpoint_meta(tmp_path / "last")["model_name"] == "new"


def test_run_directory_guard(tmp_path):
    prepare_run_dir(str(tmp_path / "new"))                 # created
    (tmp_path / "new" / "history.json").write_text("{}")
    with pytest.raises(RunExistsError, match=r"history.json.*resume=True.*overwrite=True"):
        prepare_run_dir(str(tmp_path / "new"))
    (tmp_path / "ckpt").mkdir()
    saved(tmp_path / "ckpt")
    with pytest.raises(RunExistsError, match=r"last.ckpt.json"):
        prepare_run_dir(str(tmp_path / "ckpt"))
    prepare_run_dir(str(tmp_path / "new"), overwrite=True)
    assert (tmp_path / "new" / "history.json").read_text() == "{}"      # nothing deleted


# ---- fault injection: SIGKILL at random points of a training run ----

FAULT_SCRIPT = textwrap.dedent("""
    import json, os, random, shutil, signal, sys, traceback
    sys.path.insert(0, {tests!r})
    import ecapaddle
    import test_engine as t

    TRAIN, VAL = t.Blobs(64, size=8), t.Blobs(32, size=8, seed=1)      # 4 steps per epoch
    CONFIG = t.config(epochs=6, log_every=1)
    root, min_kills = sys.argv[1], int(sys.argv[2])
    rng = random.Random(0)
    HOOKED = {{"file_operation": [(os, "replace"), (os, "fsync"), (os, "remove"), (shutil, "rmtree")],
              "image_read": [(t.Blobs, "__getitem__")]}}

    def count_calls(kind, kill):
        # count the calls of one kind; SIGKILL this process at the call `kill` names: (kind, number)
        done = [0]

        def hooked(function):
            def wrapper(*args, **kwargs):
                done[0] += 1
                if kill == (kind, done[0]):
                    os.kill(os.getpid(), signal.SIGKILL)
                return function(*args, **kwargs)
            return wrapper

        for owner, name in HOOKED[kind]:
            setattr(owner, name, hooked(getattr(owner, name)))
        return done

    def attempt(out_dir, kill=None):
        # one training process (forked: no second Paddle import), resuming out_dir;
        # returns None when killed, else the number of calls of each kind
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                calls = {{kind: count_calls(kind, kill) for kind in HOOKED}}
                t.train(t.tiny_net(), TRAIN, VAL, CONFIG, out_dir=out_dir, resume=True)
                os.write(write, json.dumps({{kind: done[0] for kind, done in calls.items()}}).encode())
                os._exit(0)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        report = os.read(read, 1000).decode()
        os.close(read)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            return None
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            sys.exit(f"a training process failed in {{out_dir}} (traceback above)")
        return json.loads(report)

    calls = attempt(os.path.join(root, "reference"))
    kills = {{kind: 0 for kind in HOOKED}}
    rounds = 0
    while min(kills.values()) < min_kills // 2 or rounds < 2:
        assert rounds < 40, f"too few kills landed: {{kills}}"
        out_dir = os.path.join(root, f"run{{rounds}}")
        while True:
            kind = rng.choice(sorted(kills))
            if attempt(out_dir, (kind, rng.randint(1, calls[kind]))) is not None:
                break
            kills[kind] += 1
        rounds += 1
    print(json.dumps({{"kills": kills, "rounds": rounds, "calls": calls}}))
""")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fault injection forks training processes")
def test_sigkill_at_random_points_never_loses_a_checkpoint(tmp_path):
    """At least 20 SIGKILLs, at random image reads and at random file operations inside the saves (drawn
    with a fixed seed); each round of kills and resumes must end with the uninterrupted run's history and weights."""
    script = tmp_path / "faults.py"
    script.write_text(FAULT_SCRIPT.format(tests=os.path.dirname(__file__)))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(script), str(tmp_path), "24"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.splitlines()[-1])
    assert sum(summary["kills"].values()) >= 20 and min(summary["kills"].values()) >= 10, summary
    reference = tmp_path / "reference"
    expected = without_wall_time(json.loads((reference / "history.json").read_text()))
    weights = paddle.load(checkpoint_paths(reference / "last")["pdparams"])
    for n in range(summary["rounds"]):
        run = tmp_path / f"run{n}"
        assert without_wall_time(json.loads((run / "history.json").read_text())) == expected
        for tag in ("last", "best"):
            assert read_checkpoint_meta(run / tag)["epoch"] == read_checkpoint_meta(reference / tag)["epoch"]
        for key, value in paddle.load(checkpoint_paths(run / "last")["pdparams"]).items():
            np.testing.assert_array_equal(value.numpy(), weights[key].numpy(), err_msg=f"round {n}: {key}")
