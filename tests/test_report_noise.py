"""The paired comparison on test predictions: McNemar's exact test, the two kinds of noise, first losses."""
import math
from fractions import Fraction

import numpy as np
import pytest

from ecapaddle.report import (ReportError, compare_predictions, first_logged_loss, mcnemar_p, noise_of_differences,
                              report_text)


def exact_mcnemar(only_a, only_b):
    n, k = only_a + only_b, min(only_a, only_b)
    return min(1.0, float(2 * Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2 ** n)))


@pytest.mark.parametrize("only_a, only_b", [(0, 5), (5, 0), (3, 3), (10, 2), (958, 1083), (40, 45)])
def test_mcnemar_p_is_the_exact_binomial_test(only_a, only_b):
    assert mcnemar_p(only_a, only_b) == pytest.approx(exact_mcnemar(only_a, only_b), rel=1e-9)
    assert mcnemar_p(only_a, only_b) == mcnemar_p(only_b, only_a)


def test_mcnemar_known_values():
    assert mcnemar_p(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(7, 7) == 1.0


def test_compare_predictions_counts_the_discordant_images():
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    a = {"label": labels, "pred": np.array([0, 1, 2, 3, 0, 0, 0, 7])}      # right on 0-3 and 7
    b = {"label": labels, "pred": np.array([0, 0, 2, 3, 4, 5, 0, 7])}      # right on 0, 2-5 and 7
    c = compare_predictions(a, b)
    assert (c["n"], c["only_a"], c["only_b"]) == (8, 1, 2)
    assert (c["acc_a"], c["acc_b"]) == (5 / 8, 6 / 8)
    assert c["p"] == pytest.approx(1.0)
    assert c["se"] == pytest.approx(100 * math.sqrt((3 / 8 - (1 / 8) ** 2) / 8))
    with pytest.raises(ReportError, match="same test images"):
        compare_predictions(a, {"label": labels[::-1], "pred": labels})


def run(name, seed, first_loss=2.3):
    return {"model": {"name": name, "params": 10}, "config": {"seed": seed, "epochs": 1, "batch_size": 8},
            "data": {"train_size": 100, "val_size": 50, "transforms": "fast", "val_source": "train"},
            "env": {"device": "cpu", "cpu_count": 2, "cpu_model": "Some CPU", "paddle": "3.3.1"},
            "steps": [{"step": 1, "epoch": 1, "loss": first_loss, "lr": 1e-3}],
            "epochs": [{"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.0, "val_acc": 0.5, "lr": 1e-3}],
            "best": {"epoch": 1, "val_acc": 0.5}}


def test_noise_of_differences_pairs_by_seed_and_separates_the_two_noises():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 2000)
    histories, predictions = [], {}
    for seed, (right_base, right_other) in zip((1, 2, 3), ((0.50, 0.60), (0.55, 0.50), (0.52, 0.58))):
        for name, right in (("base", right_base), ("other", right_other)):
            pred = np.where(rng.random(labels.size) < right, labels, (labels + 1) % 10)
            histories.append(run(name, seed))
            predictions[f"{name}-seed{seed}"] = {"label": labels, "pred": pred}
    noise = noise_of_differences(histories, predictions, "base", "other")
    points = [100 * (c["acc_b"] - c["acc_a"]) for _, c in noise["per_seed"]]
    assert [s for s, _ in noise["per_seed"]] == [1, 2, 3]
    assert noise["mean"] == pytest.approx(np.mean(points))
    assert noise["between"] == pytest.approx(np.std(points, ddof=1))
    assert noise["between"] > 2 * noise["test_se"]                  # the seeds differ far more than sampling gives
    assert noise_of_differences(histories, {}, "base", "other") is None
    text = report_text(histories, predictions=predictions)
    assert "| other − base | 3 |" in text and "McNemar" in text


def test_first_logged_loss_is_step_one_only():
    assert first_logged_loss(run("m", 1, first_loss=6.8)) == 6.8
    later = run("m", 1)
    later["steps"][0]["step"] = 10
    assert first_logged_loss(later) is None
    text = report_text([run("big", 1, 6.8), run("big", 2, 5.2), run("small", 1, 2.3), run("small", 2, 2.31)])
    assert "| big | 6.80, 5.20 | 6.00 |" in text and "ln 10 = 2.303" in text
