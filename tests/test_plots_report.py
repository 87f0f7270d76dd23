import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import paddle  # noqa: E402
import pytest  # noqa: E402

from ecapaddle import AlexNet, AlexNetECA  # noqa: E402
from ecapaddle.plots import (eca_attention_weights, plot_confusion_matrix, plot_eca_weights,  # noqa: E402
                             plot_learning_curves, plot_prediction_grid, to_display_image)
from ecapaddle.data import describe_source, make_synthetic_cifar10  # noqa: E402
from ecapaddle.report import describe_runs, paired_differences, summarize, to_csv, to_markdown  # noqa: E402


def history(name, seed, val_accs, params=100):
    epochs = [{"epoch": i + 1, "train_loss": 2.0 - 0.1 * i, "train_acc": acc - 0.05, "val_loss": 2.0 - 0.1 * i,
               "val_acc": acc, "lr": 1e-3, "time_s": 10.0, "train_img_s": 50.0 + seed, "val_img_s": 200.0 + seed}
              for i, acc in enumerate(val_accs)]
    best = max(epochs, key=lambda e: e["val_acc"])
    return {"model": {"name": name, "params": params}, "config": {"seed": seed},
            "steps": [{"step": 10 * (i + 1), "epoch": 1, "loss": 2.0 / (i + 1), "lr": 1e-3} for i in range(5)],
            "epochs": epochs, "best": {"epoch": best["epoch"], "val_acc": best["val_acc"]}}


@pytest.fixture
def histories():
    return [history("alexnet", 1, [0.3, 0.5]), history("alexnet_eca", 1, [0.35, 0.6], 119),
            history("alexnet", 2, [0.3, 0.4]), history("alexnet_eca", 2, [0.3, 0.45], 119)]


def test_summary_means_and_stds(histories):
    rows = {r["model"]: r for r in summarize(histories)}
    assert rows["alexnet"]["final val acc"] == f"{0.45:.4f} ± {np.std([0.5, 0.4], ddof=1):.4f}"
    assert rows["alexnet_eca"]["best val acc"] == f"{0.525:.4f} ± {np.std([0.6, 0.45], ddof=1):.4f}"
    assert rows["alexnet_eca"]["params"] == "119" and rows["alexnet"]["seeds"] == "1,2"
    assert rows["alexnet"]["val img/s"] == f"{201.5:.0f} ± {np.std([201, 202], ddof=1):.0f}"


def test_paired_differences(histories):
    diffs = paired_differences(histories, "alexnet", "alexnet_eca")
    assert [s for s, _ in diffs] == [1, 2]
    np.testing.assert_allclose([d for _, d in diffs], [0.1, 0.05])


def test_markdown_and_csv(histories):
    rows = summarize(histories)
    md = to_markdown(rows).splitlines()
    assert md[0].startswith("| model | seeds | params") and len(md) == 2 + len(rows)
    csv_lines = to_csv(rows).strip().splitlines()
    assert csv_lines[0].startswith("model,seeds,params") and len(csv_lines) == 3


def test_figures_are_saved(histories, tmp_path):
    fig = plot_learning_curves(histories, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000 and len(fig.axes) == 2
    plot_confusion_matrix(np.eye(3, dtype=int) * 5 + 1, ["a", "b", "c"], tmp_path / "cm.svg")
    assert (tmp_path / "cm.svg").read_text().lstrip().startswith("<?xml")
    images = np.random.default_rng(0).standard_normal((4, 3, 16, 16)).astype("float32")
    fig = plot_prediction_grid(images, [0, 1, 2, 0], [0, 2, 2, 1], ["a", "b", "c"], tmp_path / "grid.png", cols=2)
    titles = [ax.title for ax in fig.axes if ax.get_title()]
    assert [t.get_color() for t in titles] == ["green", "red", "green", "red"]


def test_display_image_inverts_normalisation():
    pixels = np.random.default_rng(1).uniform(0, 1, (3, 4, 4)).astype("float32")
    mean, std = np.array([0.485, 0.456, 0.406])[:, None, None], np.array([0.229, 0.224, 0.225])[:, None, None]
    np.testing.assert_allclose(to_display_image((pixels - mean) / std), pixels.transpose(1, 2, 0), atol=1e-6)


def test_eca_weights_per_stage(tmp_path):
    model = AlexNetECA()
    stages = eca_attention_weights(model, paddle.randn([2, 3, 128, 128]))
    assert [len(k) for _, k, _ in stages] == [3, 3, 5, 5, 3]
    assert [len(g) for _, _, g in stages] == [48, 128, 192, 192, 128]
    assert all(((g > 0) & (g < 1)).all() for _, _, g in stages)
    assert model.training                      # restored after the eval-mode pass
    plot_eca_weights(model, paddle.randn([1, 3, 128, 128]), tmp_path / "eca.png")
    assert (tmp_path / "eca.png").exists()
    with pytest.raises(ValueError, match="no ECA layer"):
        eca_attention_weights(AlexNet(), paddle.randn([1, 3, 128, 128]))


def test_describe_runs_reads_data_and_machine_from_histories(histories, tmp_path):
    source = describe_source(make_synthetic_cifar10(tmp_path / "s.tar.gz", n_train=20, n_test=10))
    env = {"device": "cpu", "cpu_count": 2, "cpu_model": "Some CPU", "paddle": "3.3.1"}
    for h in histories:
        h.update(data={"kind": "x", "source": source, "train_size": 1000, "val_size": 500, "transforms": "fast"},
                 env=env)
        h["config"].update(epochs=2, batch_size=32)
    line = describe_runs(histories)
    assert line.startswith("SYNTHETIC data (not CIFAR-10: accuracies say nothing about CIFAR-10), 1,000 train")
    assert "s.tar.gz" not in line and "seeds [1, 2]" in line and "2 CPU cores (Some CPU), Paddle 3.3.1" in line
