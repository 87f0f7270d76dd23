import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import paddle  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from ecapaddle import AlexNet, AlexNetECA  # noqa: E402
from ecapaddle.plots import (draw_eca_block, eca_attention_weights, plot_confusion_matrix, plot_eca_weights,  # noqa: E402
                             plot_learning_curves, plot_prediction_grid, to_display_image)
from ecapaddle.data import describe_source, make_synthetic_cifar10  # noqa: E402
from ecapaddle.report import (ReportError, chance_level_runs, check_comparable, describe_differences,  # noqa: E402
                              describe_runs, format_interval, paired_differences, report_text, summarize,
                              t_interval, t_quantile, to_csv, to_markdown, write_report)


def history(name, seed, val_accs, params=100, test_acc=None, val_source="train"):
    epochs = [{"epoch": i + 1, "train_loss": 2.0 - 0.1 * i, "train_acc": acc - 0.05, "val_loss": 2.0 - 0.1 * i,
               "val_acc": acc, "lr": 1e-3, "time_s": 10.0, "train_img_s": 50.0 + seed, "val_img_s": 200.0 + seed}
              for i, acc in enumerate(val_accs)]
    best = max(epochs, key=lambda e: e["val_acc"])
    h = {"model": {"name": name, "params": params}, "config": {"seed": seed, "epochs": len(val_accs), "batch_size": 32},
         "data": {"train_size": 1000, "val_size": 500, "transforms": "fast", "val_source": val_source},
         "env": {"device": "cpu", "cpu_count": 2, "cpu_model": "Some CPU", "paddle": "3.3.1"},
         "steps": [{"step": 10 * (i + 1), "epoch": 1, "loss": 2.0 / (i + 1), "lr": 1e-3} for i in range(5)],
         "epochs": epochs, "best": {"epoch": best["epoch"], "val_acc": best["val_acc"]}}
    if test_acc is not None:
        h["test"] = {"n": 100, "final": {"acc": test_acc, "loss": 1.0, "per_class_acc": [test_acc] * 10},
                     "best": {"epoch": best["epoch"], "acc": test_acc - 0.01, "loss": 1.0, "per_class_acc": [0.5] * 10}}
    return h


@pytest.fixture
def histories():
    return [history("alexnet", 1, [0.3, 0.5], test_acc=0.48), history("alexnet_eca", 1, [0.35, 0.6], 119, 0.57),
            history("alexnet", 2, [0.3, 0.4], test_acc=0.41), history("alexnet_eca", 2, [0.3, 0.45], 119, 0.46)]


@pytest.mark.parametrize("df, expected", [(1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262), (30, 2.042)])
def test_t_quantile_matches_the_t_table(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=5e-4)


def test_t_interval_uses_the_t_distribution_and_refuses_nothing_from_one_value():
    mean, half = t_interval([0.40, 0.44, 0.48])
    assert mean == pytest.approx(0.44) and half == pytest.approx(4.3027 * 0.04 / np.sqrt(3), rel=1e-4)
    assert t_interval([0.5]) == (0.5, None)
    assert format_interval([0.5]) == "0.5000"              # never "± 0" from one run


def test_summary_means_and_t_intervals(histories):
    rows = {r["model"]: r for r in summarize(histories)}
    half = t_quantile(0.975, 1) * np.std([0.5, 0.4], ddof=1) / np.sqrt(2)
    assert rows["alexnet"]["final val acc"] == f"{0.45:.4f} ± {half:.4f}"
    assert rows["alexnet"]["final test acc"].startswith(f"{0.445:.4f} ± ")
    assert rows["alexnet_eca"]["params"] == "119" and rows["alexnet"]["runs"] == 2


def test_paired_differences_on_validation_and_test(histories):
    diffs = paired_differences(histories, "alexnet", "alexnet_eca")
    assert [s for s, _ in diffs] == [1, 2]
    np.testing.assert_allclose([d for _, d in diffs], [0.1, 0.05])
    np.testing.assert_allclose([d for _, d in paired_differences(histories, "alexnet", "alexnet_eca", "test")],
                               [0.09, 0.05])
    line = describe_differences(histories, "alexnet", "alexnet_eca", "test")
    assert "seed 1: +9.00, seed 2: +5.00; mean +7.00 points, 95% CI [" in line
    other_seeds = [dict(h, config={**h["config"], "seed": 9}) if h["model"]["name"] == "alexnet_eca" else h
                   for h in histories]
    with pytest.raises(ReportError, match="alexnet_eca and alexnet share no seed with a final val accuracy"):
        describe_differences(other_seeds, "alexnet", "alexnet_eca")


def test_report_refuses_mixed_budgets_naming_the_runs(histories):
    histories[3]["config"]["epochs"] = 8
    with pytest.raises(ReportError, match=r"alexnet-seed1 and alexnet_eca-seed2 differ in epochs: 2 vs 8"):
        report_text(histories)
    histories[3]["config"]["epochs"] = 2
    histories[2]["data"]["train_size"] = 5000
    with pytest.raises(ReportError, match="train images: 1000 vs 5000"):
        check_comparable(histories)


def test_report_refuses_validation_on_the_test_split_unless_allowed(histories):
    for h in histories:
        h["data"]["val_source"] = "test"
    with pytest.raises(ReportError, match="alexnet-seed1, alexnet_eca-seed1, .* were validated on the test split"):
        report_text(histories)
    assert "**Validated on the test split**" in report_text(histories, allow_val_from_test=True)


def test_report_flags_chance_level_runs(histories):
    histories[0]["epochs"][-1]["val_acc"] = 0.105
    assert chance_level_runs(histories) == ["alexnet-seed1"]
    assert "At chance level (learned nothing): alexnet-seed1." in report_text(histories)


def test_markdown_and_csv(histories):
    rows = summarize(histories)
    md = to_markdown(rows).splitlines()
    assert md[0].startswith("| model | runs | params") and len(md) == 2 + len(rows)
    csv_lines = to_csv(rows).strip().splitlines()
    assert csv_lines[0].startswith("model,runs,params") and len(csv_lines) == 3


def test_write_report_files(histories, tmp_path):
    text = write_report(histories, tmp_path)
    assert (tmp_path / "table.md").read_text() == text and (tmp_path / "learning_curves.png").stat().st_size > 1000
    assert "alexnet_eca - alexnet, final val acc" in text and "alexnet_eca - alexnet, final test acc" in text


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


def drawn_text(fig):
    """All the text drawn in `fig`, one string per Text artist (annotations included)."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def test_eca_block_is_drawn_with_its_shapes_and_kernel_size(tmp_path):
    fig = draw_eca_block(path=tmp_path / "eca_block.png")
    assert (tmp_path / "eca_block.png").stat().st_size > 10_000
    text = "\n".join(drawn_text(fig))
    for shape in ["[N, C, H, W]", "[N, C]", "[N, C, 1, 1]", "[N, C/r]"]:
        assert shape in text, shape
    assert re.search(r"\bk\b", text) and "sigmoid" in text and "global\naverage\npooling" in text
    assert "FC\nC → C/r" in text and "FC\nC/r → C" in text           # the SE block drawn below
    plt.close(fig)


def test_eca_block_without_se_draws_on_the_given_axes():
    fig, ax = plt.subplots()
    assert draw_eca_block(ax=ax, se=False) is fig
    text = "\n".join(drawn_text(fig))
    assert "[N, C, 1, 1]" in text and "C/r" not in text and not ax.axison
    assert len(ax.patches) > 2 * 8                                    # the cells of the drawn vectors
    plt.close(fig)


def test_describe_runs_reads_data_and_machine_from_histories(histories, tmp_path):
    source = describe_source(make_synthetic_cifar10(tmp_path / "s.tar.gz", n_train=20, n_test=10))
    env = {"device": "cpu", "cpu_count": 2, "cpu_model": "Some CPU", "paddle": "3.3.1"}
    for h in histories:
        h["data"].update(kind="x", source=source)
        h["env"] = env
    line = describe_runs(histories)
    assert line.startswith("SYNTHETIC data (not CIFAR-10: accuracies say nothing about CIFAR-10), 1,000 train images, "
                           "500 validation images held out of the training split, 100 test images evaluated once")
    assert "s.tar.gz" not in line and "seeds [1, 2]" in line and "2 CPU cores (Some CPU), Paddle 3.3.1" in line


def test_amp_auto_on_a_cpu_is_the_same_recipe_as_amp_off(histories):
    for h in histories:
        h["config"]["amp"] = False
    histories[1]["config"]["amp"] = "auto"                                          # device "cpu"
    check_comparable(histories)
    histories[1]["env"]["device"] = "gpu:0"                                        # there "auto" means float16
    with pytest.raises(ReportError, match="amp: False vs True"):
        check_comparable(histories)
