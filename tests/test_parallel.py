"""--procs N: the CLI re-launches itself as N data-parallel one-thread processes (paddle.distributed, gloo on CPU)."""
import argparse
import json

import pytest

from ecapaddle.cli import main
from ecapaddle.data import make_synthetic_cifar10
from ecapaddle.engine.history import without_wall_time
from ecapaddle import launcher
from ecapaddle.launcher import launch_command, launch_workers, needs_launch
from ecapaddle.runtime import available_cores


def test_procs_is_a_positive_count_or_auto(capsys):
    for bad in ("0", "two"):
        assert main(["train", "--procs", bad]) == 2
        assert "argument --procs: " in capsys.readouterr().err


def test_procs_auto_launches_one_process_per_available_core(tmp_path, monkeypatch):
    if available_cores() < 2:
        pytest.skip("one core: --procs auto trains in this process")
    monkeypatch.delenv("PADDLE_TRAINER_ID", raising=False)
    monkeypatch.delenv("PADDLE_TRAINERS_NUM", raising=False)
    launched = []
    monkeypatch.setattr(launcher, "launch_workers", lambda argv, procs, out, batch: launched.append(procs) or 0)
    assert main(["train", "--quick", "--procs", "auto", "--out", str(tmp_path / "run")]) == 0
    assert launched == [available_cores()]


def test_only_a_process_not_launched_yet_launches(monkeypatch):
    monkeypatch.delenv("PADDLE_TRAINER_ID", raising=False)
    monkeypatch.delenv("PADDLE_TRAINERS_NUM", raising=False)
    assert needs_launch(2) and not needs_launch(1)
    monkeypatch.setenv("PADDLE_TRAINERS_NUM", "2")
    assert not needs_launch(2)


def test_launch_command_runs_the_cli_in_n_processes():
    command = launch_command(["train", "--epochs", "1"], 3, "logs")
    assert command[1:5] == ["-m", "paddle.distributed.launch", "--nproc_per_node", "3"]
    assert command[-5:] == ["-m", "ecapaddle", "train", "--epochs", "1"]


def test_a_batch_not_divisible_by_procs_is_refused_before_launching(tmp_path):
    with pytest.raises(ValueError, match="--batch-size 15 must be divisible by --procs 2"):
        launch_workers(["train"], 2, tmp_path, batch_size=15)
    assert not (tmp_path / "launch-logs").exists()


@pytest.mark.parametrize("exit_code", [0, 1])
def test_only_the_worker_logs_stay_after_the_launch(tmp_path, monkeypatch, exit_code):
    def fake_launch(command, env):
        launched_env.update(env)
        logs = tmp_path / "launch-logs"
        logs.mkdir()
        for name in ("workerlog.0", "workerlog.1", "envlog.0", "backup_env.0.json", "default.abc.log"):
            (logs / name).write_text("AWS_SECRET=... " if "env" in name else "epoch 1/1")
        return argparse.Namespace(returncode=exit_code)

    launched_env = {}
    monkeypatch.setattr(launcher.subprocess, "run", fake_launch)
    monkeypatch.delenv("GLOG_minloglevel", raising=False)
    monkeypatch.setenv("PYTHONWARNINGS", "default::DeprecationWarning")
    assert launch_workers(["train"], 2, tmp_path, batch_size=16) == exit_code
    assert sorted(path.name for path in (tmp_path / "launch-logs").iterdir()) == ["workerlog.0", "workerlog.1"]
    # quiet workers: no glog INFO lines, no ccache warning; the user's own warning filters kept
    assert launched_env["GLOG_minloglevel"] == "1" and launched_env["OMP_NUM_THREADS"] == "1"
    assert launched_env["PYTHONWARNINGS"] == "default::DeprecationWarning,ignore:No ccache found:UserWarning"


@pytest.mark.slow
def test_two_runs_with_two_processes_give_the_same_history(tmp_path):
    archive = make_synthetic_cifar10(tmp_path / "tiny.tar.gz", n_train=64, n_test=16, seed=1)
    histories = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert main(["--threads", "1", "train", "--recipe", "full", "--data", str(archive), "--transforms", "fast",
                     "--workers", "0", "--epochs", "1", "--batch-size", "16", "--no-progress", "--procs", "2",
                     "--out", str(out)]) == 0
        assert sorted(path.name for path in (out / "launch-logs").iterdir()) == ["workerlog.0", "workerlog.1"]
        histories.append(json.loads((out / "history.json").read_text()))
    assert histories[0]["env"]["world_size"] == 2 and histories[0]["env"]["threads"] == 1
    assert len(histories[0]["steps"]) == 1 and histories[0]["epochs"][0]["train_loss"] > 0
    assert without_wall_time(histories[0]) == without_wall_time(histories[1])
