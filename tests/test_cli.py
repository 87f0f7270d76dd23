"""The CLI end to end on a tiny synthetic archive: compare, report, evaluate, export, predict, refusals."""
import json

import numpy as np
import pytest
from PIL import Image

from ecapaddle.cli import main
from ecapaddle.data import make_synthetic_cifar10

TINY = ["--epochs", "1", "--batch-size", "16", "--no-progress"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    archive = make_synthetic_cifar10(root / "tiny.tar.gz", n_train=80, n_test=40, seed=1)
    out = root / "compare"
    main(["compare", "--data", str(archive), "--transforms", "fast", "--out", str(out)] + TINY)
    return archive, out


def test_compare_writes_runs_table_and_figure(compared, capsys):
    _, out = compared
    for name in ("alexnet", "alexnet_eca"):
        run = out / f"{name}-seed42"
        assert (run / "history.json").is_file() and (run / "best.pdparams").is_file()
        assert json.loads((run / "history.json").read_text())["model"]["name"] == name
    table = (out / "table.md").read_text()
    assert "SYNTHETIC" in table and "| alexnet_eca | 42 | 7,524,061 |" in table and "| alexnet | 42 | 7,524,042 |" in table
    assert (out / "learning_curves.png").stat().st_size > 1000
    assert (out / "table.csv").read_text().count("\n") == 3


def test_report_redraws_without_training(compared, tmp_path, capsys):
    _, out = compared
    main(["report", str(out / "alexnet-seed42"), str(out / "alexnet_eca-seed42" / "history.json"),
          "--out", str(tmp_path)])
    assert (tmp_path / "table.md").read_text() == (out / "table.md").read_text()


def test_evaluate_export_predict(compared, tmp_path, capsys):
    archive, out = compared
    run = out / "alexnet_eca-seed42"
    capsys.readouterr()
    main(["evaluate", str(run / "best.pdparams"), "--data", str(archive)])
    result = json.loads(capsys.readouterr().out)
    history = json.loads((run / "history.json").read_text())
    assert result["model"] == "alexnet_eca" and result["images"] == 40
    assert result["acc"] == pytest.approx(history["best"]["val_acc"])
    main(["export", str(run), "--out", str(tmp_path / "model")])
    assert list(tmp_path.glob("model.pdiparams"))
    with pytest.raises(SystemExit, match="exists; pass --force"):
        main(["export", str(run), "--out", str(tmp_path / "model")])
    image = tmp_path / "img.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(image)
    main(["predict", str(run), str(image), "--topk", "2"])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(str(image)) and line.count(",") == 1


def test_refuses_to_overwrite_an_existing_output_directory(compared):
    archive, out = compared
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(SystemExit, match="already exists and is not empty.*--force"):
        main(["compare", "--data", str(archive), "--out", str(out)] + TINY)
    assert sorted(p.name for p in out.iterdir()) == before


@pytest.mark.parametrize("argv", [["compare", "--epochs", "-1"], ["train", "--batch-size", "0"],
                                  ["train", "--no-such-option"], ["train", "--model", "alexnet_xyz"]])
def test_bad_options_exit_with_a_message(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and ("must be a positive integer" in err or "unrecognized" in err or "invalid choice" in err)


def test_missing_data_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        main(["train", "--data", str(tmp_path / "nope.tar.gz"), "--out", str(tmp_path / "run")] + TINY)


def test_bench_options_reach_the_benchmark(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--help"])
    assert exit_info.value.code == 0
    assert "--quick" in capsys.readouterr().out
