"""Checkpoints: atomic writes, metadata, and clear errors when loading (ecapaddle.engine.checkpoint)."""
import json
import os
import signal

import numpy as np
import paddle
import pytest

from ecapaddle import AlexNet, AlexNetECA
from ecapaddle.engine import CheckpointError, CheckpointMismatchError, load_checkpoint, save_checkpoint
from ecapaddle.engine.checkpoint import atomic_write_bytes, prepare_run_dir, RunExistsError


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


def test_accepts_directory_prefix_or_file_and_a_bare_notebook_pdparams(tmp_path):
    model, _, prefix = saved(tmp_path)
    for path in (tmp_path, prefix, prefix + ".pdparams", prefix + ".meta.json"):
        assert load_checkpoint(small_net(), path)["epoch"] == 1
    paddle.save(model.state_dict(), str(tmp_path / "notebook.pdparams"))     # the notebook's format
    assert load_checkpoint(small_net(), tmp_path / "notebook.pdparams") is None
    with pytest.raises(CheckpointError, match="without its metadata file"):
        load_checkpoint(small_net(), tmp_path / "notebook.pdparams", adam_for(small_net()))


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no checkpoint at .*best: .*best.pdparams does not exist"):
        load_checkpoint(small_net(), tmp_path / "best")
    _, _, prefix = saved(tmp_path)
    os.remove(prefix + ".pdopt")
    with pytest.raises(FileNotFoundError, match=r"last.pdopt"):
        load_checkpoint(small_net(), prefix, adam_for(small_net()))


@pytest.mark.parametrize("with_meta", [True, False])
def test_truncated_file_is_a_clear_error(tmp_path, with_meta):
    _, _, prefix = saved(tmp_path)
    data = open(prefix + ".pdparams", "rb").read()
    with open(prefix + ".pdparams", "wb") as f:
        f.write(data[: len(data) // 2])
    if not with_meta:                                     # then paddle.load itself must fail
        os.remove(prefix + ".meta.json")
    with pytest.raises(CheckpointError, match=r"last.pdparams is truncated"):
        load_checkpoint(small_net(), prefix)


def test_corrupt_metadata_and_newer_format(tmp_path):
    _, _, prefix = saved(tmp_path)
    meta = json.loads(open(prefix + ".meta.json").read())
    with open(prefix + ".meta.json", "w") as f:
        json.dump(dict(meta, format_version=2), f)
    with pytest.raises(CheckpointError, match=r"format_version 2; this ecapaddle reads up to 1. Upgrade"):
        load_checkpoint(small_net(), prefix)
    with open(prefix + ".meta.json", "w") as f:
        f.write('{"format_version": 1, "sha')
    with pytest.raises(CheckpointError, match=r"last.meta.json is truncated or corrupt"):
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
    os.replace(other + ".pdopt", prefix + ".pdopt")       # a .pdopt copied in from another run
    with pytest.raises(CheckpointError, match=r"last.pdopt is truncated, corrupt, or from another save"):
        load_checkpoint(small_net(), prefix, adam_for(small_net()))
    model = small_net()
    with pytest.raises(CheckpointMismatchError, match="holds Adam state, not SGD"):
        load_checkpoint(model, other, paddle.optimizer.SGD(parameters=model.parameters()))


def test_optimizer_state_with_wrong_shapes_is_refused(tmp_path):
    model, optimizer, prefix = saved(tmp_path)
    state = optimizer.state_dict()
    first = model.parameters()[0].name + "_moment1_0"
    state[first] = paddle.zeros([2, 2])
    meta = json.loads(open(prefix + ".meta.json").read())
    optimizer.state_dict = lambda: state
    save_checkpoint(prefix, model, optimizer, meta)
    with pytest.raises(CheckpointMismatchError, match=r"moment1_0 has shape \[2, 2\], .* has \[6, 5\]"):
        load_checkpoint(small_net(), prefix, adam_for(small_net()))


def test_a_crash_before_the_rename_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model, optimizer, prefix = saved(tmp_path, epoch=1)
    take_steps(model, optimizer)

    def crash(src, dst):
        raise OSError("simulated crash between writing the temporary file and replacing")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        save_checkpoint(prefix, model, optimizer, {"model_name": "small", "epoch": 2})
    with pytest.raises(OSError, match="simulated crash"):
        atomic_write_bytes(prefix + ".meta.json", b"{}")
    monkeypatch.undo()
    assert load_checkpoint(small_net(), prefix, adam_for(small_net()))["epoch"] == 1
    assert sorted(os.listdir(tmp_path)) == ["last.meta.json", "last.pdopt", "last.pdparams"]  # no temporaries


def test_ctrl_c_during_the_commit_is_delivered_after_all_three_files(tmp_path, monkeypatch):
    model, optimizer, prefix = saved(tmp_path, epoch=1)
    real_replace, replaced = os.replace, []

    def replace_with_ctrl_c(src, dst):
        if not replaced:
            os.kill(os.getpid(), signal.SIGINT)
        real_replace(src, dst)
        replaced.append(os.path.basename(dst))

    monkeypatch.setattr(os, "replace", replace_with_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(prefix, model, optimizer, {"model_name": "small", "epoch": 2})
    monkeypatch.undo()
    assert replaced == ["last.pdparams", "last.pdopt", "last.meta.json"]
    assert load_checkpoint(small_net(), prefix, adam_for(small_net()))["epoch"] == 2


def test_run_directory_guard(tmp_path):
    prepare_run_dir(str(tmp_path / "new"))                 # created
    (tmp_path / "new" / "history.json").write_text("{}")
    with pytest.raises(RunExistsError, match=r"history.json.*resume=True.*overwrite=True"):
        prepare_run_dir(str(tmp_path / "new"))
    prepare_run_dir(str(tmp_path / "new"), overwrite=True)
    assert (tmp_path / "new" / "history.json").read_text() == "{}"      # nothing deleted
