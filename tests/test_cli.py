"""The CLI end to end on tiny synthetic archives: recipes, dry runs, run folders, one-line errors."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ecapaddle import cli
from ecapaddle.cli import main
from ecapaddle.data import make_synthetic_cifar10
from ecapaddle.engine.checkpoint import checkpoint_exists
from ecapaddle.engine.train import NonFiniteLossError
from ecapaddle.runtime import available_cores
from ecapaddle.utils import first_free_dir

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONE_THREAD = ["--threads", "1"]
TINY = ["--epochs", "1", "--batch-size", "16", "--no-progress"]


def error_line(capsys):
    """The one line main() printed to stderr for an error."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """The full recipe (4 loader workers, validation on the test split) end to end, only smaller."""
    root = tmp_path_factory.mktemp("cli")
    archive = make_synthetic_cifar10(root / "tiny.tar.gz", n_train=80, n_test=40, seed=1)
    out = root / "compare"
    assert main(ONE_THREAD + ["compare", "--recipe", "full", "--data", str(archive), "--transforms", "fast",
                              "--out", str(out)] + TINY) == 0
    return archive, out


@pytest.fixture
def archive(tmp_path):
    return Path(make_synthetic_cifar10(tmp_path / "data" / "tiny.tar.gz", n_train=200, n_test=50, seed=1))


def test_compare_with_the_full_recipe_writes_runs_table_and_figure(compared):
    _, out = compared
    for name in ("alexnet", "alexnet_eca"):
        run = out / f"{name}-seed42"
        history = json.loads((run / "history.json").read_text())
        assert checkpoint_exists(run / "best") and history["model"]["name"] == name
        assert history["data"]["recipe"] == "full" and history["data"]["val_source"] == "test"
        assert history["data"]["kind"].startswith("SYNTHETIC")
        assert (history["config"]["num_workers"], history["config"]["epochs"]) == (4, 1)     # recipe / flag
        assert history["env"]["threads"] == 1 and history["env"]["cpu_count"] == available_cores()
    table = (out / "table.md").read_text()
    assert "SYNTHETIC" in table and "7,524,061" in table and "7,524,042" in table
    assert (out / "learning_curves.png").stat().st_size > 1000


def test_report_redraws_without_training(compared, tmp_path):
    _, out = compared
    runs = [str(out / "alexnet-seed42"), str(out / "alexnet_eca-seed42" / "history.json")]
    assert main(ONE_THREAD + ["report", *runs, "--out", str(tmp_path / "a"), "--allow-val-from-test"]) == 0
    assert main(ONE_THREAD + ["report", str(out), "--out", str(tmp_path / "b"), "--allow-val-from-test"]) == 0
    assert (tmp_path / "a" / "table.md").read_text() == (tmp_path / "b" / "table.md").read_text()


def test_evaluate_export_predict(compared, tmp_path, capsys):
    archive, out = compared
    run = out / "alexnet_eca-seed42"
    capsys.readouterr()
    main(ONE_THREAD + ["evaluate", str(run / "best"), "--data", str(archive)])
    result = json.loads(capsys.readouterr().out)
    history = json.loads((run / "history.json").read_text())
    assert result["model"] == "alexnet_eca" and result["images"] == 40
    assert result["acc"] == pytest.approx(history["best"]["val_acc"])
    assert main(ONE_THREAD + ["export", str(run), "--out", str(tmp_path / "model")]) == 0
    assert list(tmp_path.glob("model.pdiparams"))
    assert main(ONE_THREAD + ["export", str(run), "--out", str(tmp_path / "model")]) == 1
    assert error_line(capsys) == f"error: {tmp_path / 'model'}.* exists; pass --force to replace it"
    image = tmp_path / "img.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(image)
    main(ONE_THREAD + ["predict", str(run), str(image), "--topk", "2"])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(str(image)) and line.count(",") == 1


def test_an_explicit_out_holding_a_run_is_refused(compared, capsys):
    archive, out = compared
    before = sorted(p.name for p in out.iterdir())
    assert main(ONE_THREAD + ["compare", "--data", str(archive), "--out", str(out)] + TINY) == 1
    assert error_line(capsys).startswith(f"error: output directory {out} already exists and is not empty; leave "
                                         f"out --out to write into a new folder")
    assert sorted(p.name for p in out.iterdir()) == before


@pytest.mark.parametrize("argv, message", [
    (["compare", "--epochs", "-1"], "argument --epochs: must be an integer >= 1, got -1"),
    (["train", "--batch-size", "0"], "argument --batch-size: must be an integer >= 1, got 0"),
    (["train", "--lr", "0"], "argument --lr: must be a number > 0, got 0"),
    (["train", "--workers", "-1"], "argument --workers: must be an integer >= 0, got -1"),
    (["--threads", "0", "train"], "argument --threads: must be an integer >= 1, got 0"),
    (["train", "--no-such-option"], "unrecognized arguments: --no-such-option"),
    (["train", "--model", "alexnet_xyz"], "argument --model: invalid choice: 'alexnet_xyz'"),
    (["compare", "--quick", "--recipe", "full"], "--quick means --recipe quick"),
    (["train", "--resume"], "--resume needs --out DIR"),
])
def test_bad_command_lines_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    assert error_line(capsys).startswith("error: " + message)


def test_data_that_does_not_fit_the_recipe_is_refused_before_anything_is_written(archive, tmp_path, capsys):
    common = ONE_THREAD + ["train", "--recipe", "full", "--data", str(archive), "--out", str(tmp_path / "run")]
    assert main(common + ["--train-subset", "60000"]) == 1
    assert error_line(capsys).startswith("error: subset=60000 asks for more images than the 200 of the train split")
    assert main(common + ["--batch-size", "500"]) == 2
    assert error_line(capsys) == ("error: --batch-size 500 is larger than the 200 training images; "
                                  "pass --batch-size 200 or less")
    assert main(common[:3] + ["--recipe", "cpu"] + common[5:]) == 1       # its 5,000 held-out images are too many
    assert "val_size=5000 asks for more images than the 200 of the training split" in error_line(capsys)
    assert not (tmp_path / "run").exists()


def test_user_errors_are_one_line_with_exit_code_1(compared, tmp_path, capsys):
    _, out = compared
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not an archive at all")
    assert main(ONE_THREAD + ["train", "--data", str(bad), "--out", str(tmp_path / "r")] + TINY) == 1
    assert error_line(capsys).startswith(f"error: {bad} is not gzip-compressed")
    assert main(ONE_THREAD + ["train", "--data", str(tmp_path / "nope.tar.gz")] + TINY) == 1
    assert "nope.tar.gz does not exist" in error_line(capsys)
    assert main(ONE_THREAD + ["report", str(tmp_path), "--out", str(tmp_path / "rep")]) == 1
    assert error_line(capsys).startswith(f"error: {tmp_path} holds no history.json")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    assert main(ONE_THREAD + ["predict", str(out / "alexnet-seed42"), str(text)]) == 1
    assert error_line(capsys).startswith(f"error: {text} is not an image file PIL can read")
    assert main(ONE_THREAD + ["evaluate", str(tmp_path / "no-run")]) == 1
    assert str(tmp_path / "no-run") in error_line(capsys)
    assert main(ONE_THREAD + ["train", "--resume", "--out", str(tmp_path / "empty")]) == 1
    assert error_line(capsys).startswith(f"error: nothing to resume in {tmp_path / 'empty'}")


def test_debug_shows_the_traceback(tmp_path):
    from ecapaddle.data import DatasetNotFoundError

    with pytest.raises(DatasetNotFoundError):
        main(["--debug"] + ONE_THREAD + ["train", "--data", str(tmp_path / "nope.tar.gz")])


@pytest.mark.parametrize("raised, code, message", [
    (KeyboardInterrupt(), 130, "error: interrupted (Ctrl-C); the completed epochs are saved in runs/compare: continue "
                               "with python -m ecapaddle --threads 1 compare --quick --resume --out runs/compare"),
    (NonFiniteLossError(1, 3, float("nan"), 1e-3), 1, "error: training loss is nan at epoch 1, step 3"),
])
def test_training_failures_are_one_line(raised, code, message, tmp_path, monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise raised

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "run_one", fail)
    assert main(ONE_THREAD + ["compare", "--quick"]) == code
    assert error_line(capsys).startswith(message)


def test_runs_without_out_never_collide(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(ONE_THREAD + ["compare", "--quick", "--models", "alexnet", "--epochs", "1", "--no-progress"]) == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["compare", "compare2"]
    assert all((tmp_path / "runs" / name / "table.md").is_file() for name in ("compare", "compare2"))


def test_first_free_dir_skips_folders_in_use(tmp_path):
    (tmp_path / "train-alexnet").mkdir()
    assert first_free_dir(tmp_path / "train-alexnet") == tmp_path / "train-alexnet"      # empty: reused
    (tmp_path / "train-alexnet" / "history.json").write_text("{}")
    (tmp_path / "train-alexnet2").write_text("a file, not a folder")
    assert first_free_dir(tmp_path / "train-alexnet", create=True) == tmp_path / "train-alexnet3"
    assert (tmp_path / "train-alexnet3").is_dir()


def test_explicit_flags_override_the_recipe():
    args = cli.build_parser().parse_args(["compare", "--recipe", "full", "--epochs", "3", "--val-from", "train"])
    recipe = cli.resolve_recipe(args)
    assert (recipe.name, recipe.epochs, recipe.batch_size, recipe.val_from, recipe.num_workers) == ("full", 3, 128,
                                                                                                   "train", 4)
    default = cli.resolve_recipe(cli.build_parser().parse_args(["compare"]))
    assert (default.epochs, default.val_from, default.num_workers, default.train_subset) == (50, "train", 0, None)
    quick = cli.resolve_recipe(cli.build_parser().parse_args(["train", "--quick"]))
    assert quick == cli.resolve_recipe(cli.build_parser().parse_args(["train", "--recipe", "quick"]))
    assert quick.synthetic and (quick.train_subset, quick.epochs, quick.batch_size) == (256, 2, 32)


def test_dry_run_of_the_full_recipe_states_the_plan_and_writes_nothing(archive, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(cli, "time_steps", lambda *args: 0.5)    # batch-128 steps are slow on a CPU
    before = sorted(p.name for p in archive.parent.iterdir())
    assert main(ONE_THREAD + ["compare", "--recipe", "full", "--dry-run", "--data", str(archive)]) == 0
    out = capsys.readouterr().out
    assert "epochs 50, batch 128" in out
    assert "images per epoch: 200 training, 50 validation" in out
    assert "alexnet_eca, seed 42 -> runs/compare/alexnet_eca-seed42" in out
    assert "estimated time of alexnet_eca: 0.50 s per step" in out
    assert list(work.iterdir()) == [] and sorted(p.name for p in archive.parent.iterdir()) == before


def test_dry_run_without_an_archive_counts_the_recipes_own_images(tmp_path, monkeypatch, capsys):
    from ecapaddle.data import cifar10

    monkeypatch.delenv("ECAPADDLE_CIFAR10", raising=False)
    monkeypatch.setattr(cifar10, "default_locations", lambda: [("nowhere", str(tmp_path / "none.tar.gz"))])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "time_steps", lambda *args: 0.5)
    assert main(ONE_THREAD + ["compare", "--recipe", "full", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "No real CIFAR-10 found" in out and "images per epoch: 50,000 training, 10,000 validation" in out
    assert "the command would train on the synthetic stand-in" in out
    assert "steps: 390 per epoch x 50 epochs = 19,500 per run" in out            # 50,000 images, batch 128
    assert "on the synthetic stand-in, CPU threads" in out
    assert "-> 2.7 h per run" in out and "estimated time in all: 5.4 h for 2 run(s)" in out     # 0.5 s x 19,500
    assert list(tmp_path.iterdir()) == []
    assert main(ONE_THREAD + ["train", "--recipe", "cpu", "--dry-run"]) == 0
    assert "images per epoch: 10,000 training, 5,000 validation" in capsys.readouterr().out


def test_quick_dry_run_times_real_steps_without_thread_warning(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "ECAPADDLE_CIFAR10")}
    env["PYTHONPATH"] = REPO
    done = subprocess.run([sys.executable, "-m", "ecapaddle", "compare", "--quick", "--dry-run"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "estimated time in all:" in done.stdout and f"CPU threads: {available_cores()}" in done.stdout
    assert "OMP_NUM_THREADS" not in done.stderr and "WARNING" not in done.stderr and "ccache" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_threads_default_to_omp_num_threads_as_the_user_set_it(tmp_path, monkeypatch):
    from ecapaddle import runtime

    monkeypatch.setattr(runtime, "_REQUESTED", "1")
    assert main(["make-synthetic", str(tmp_path / "a.tar.gz"), "--n-train", "10", "--n-test", "10"]) == 0
    assert runtime.num_threads() == 1
    assert main(["make-synthetic", str(tmp_path / "b.tar.gz"), "--threads", "2", "--n-train", "10"]) == 0
    assert runtime.num_threads() == 2
    monkeypatch.setattr(runtime, "_REQUESTED", None)
    assert main(["make-synthetic", str(tmp_path / "c.tar.gz"), "--n-train", "10", "--n-test", "10"]) == 0
    assert runtime.num_threads() == available_cores()


def test_bench_options_reach_the_benchmark(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--help"])
    assert exit_info.value.code == 0
    assert "--quick" in capsys.readouterr().out


def test_visualdl_flag_without_visualdl_is_one_line_before_any_work(monkeypatch, capsys, archive, tmp_path):
    real_find_spec = cli.importlib.util.find_spec
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name, *a: None if name == "visualdl"
                        else real_find_spec(name, *a))
    assert main(ONE_THREAD + ["train", "--quick", "--data", str(archive), "--visualdl", str(tmp_path / "vdl"),
                              "--out", str(tmp_path / "run")] + TINY) == 2
    assert "pip install visualdl" in error_line(capsys)
    assert not (tmp_path / "run").exists()
