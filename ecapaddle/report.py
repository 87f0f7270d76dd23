"""Comparison tables from training histories: means with t-based confidence intervals, paired differences.

A table is only as good as the runs it averages, so `check_comparable` refuses groups of runs that
differ in data, budget or recipe, or (unless asked) whose validation images came from the test split.

With the runs' test predictions (`load_predictions`), the report also says which noise limits a paired
comparison: the spread of the difference between seeds (between-run noise: initial weights, data order,
augmentation) against the sampling noise of the test images, and per seed McNemar's exact test on the images
one model gets right and the other wrong. Runs of the same seed start from the same shared weights
(`ecapaddle.models.AlexNet`), so a paired difference compares the models, not two draws of the weights.
"""
import csv
import io
import math
from pathlib import Path

import numpy as np

from .engine import load_history
from .plots import plot_learning_curves
from .utils import group_by_model

COLUMNS = ("model", "runs", "params", "final train acc", "final val acc", "best val acc", "best epoch",
           "final test acc", "test acc (best-val weights)")
# config fields that may differ between runs that are averaged together (they do not change the recipe)
PER_RUN_FIELDS = ("seed", "progress", "num_workers", "eval_batch_size")
CHANCE_MARGIN = 0.02     # a run within 2 points of 1/K accuracy learned nothing
PREDICTIONS_FILE = "predictions.npz"    # written beside history.json by the trainer: labels and predicted classes


class ReportError(ValueError):
    """The runs given to a report cannot be summarised together."""


def run_name(history):
    return f"{history['model']['name']}-seed{history['config']['seed']}"


def _student_t_cdf(t, df):
    """P(T <= t) for Student's t with df degrees of freedom (regularised incomplete beta, continued fraction)."""
    x = df / (df + t * t)
    a, b = df / 2.0, 0.5
    # I_x(a, b) by Lentz's continued fraction (Numerical Recipes betacf), valid for x < (a+1)/(a+b+2)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        tail = front * _beta_fraction(x, a, b) / a
    else:
        tail = 1.0 - front * _beta_fraction(1 - x, b, a) / b
    return 1 - 0.5 * tail if t > 0 else 0.5 * tail


def _beta_fraction(x, a, b, tiny=1e-300):
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def t_quantile(p, df):
    """The p-quantile (0.5 < p < 1) of Student's t with df degrees of freedom, by bisection on the CDF."""
    if not 0.5 < p < 1 or df < 1:
        raise ValueError(f"t_quantile needs 0.5 < p < 1 and df >= 1, got p={p}, df={df}")
    low, high = 0.0, 1.0
    while _student_t_cdf(high, df) < p:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if _student_t_cdf(mid, df) < p else (low, mid)
    return (low + high) / 2


def t_interval(values, confidence=0.95):
    """(mean, half width) of the t-based confidence interval of the mean; half width None for one value.

    With n values the half width is t_{(1+confidence)/2, n-1} * s / sqrt(n), s the sample standard
    deviation: for 3 seeds t = 4.30, so the interval is much wider than "mean ± 2 s.e.".
    """
    values = np.asarray(values, dtype="float64")
    if values.size == 0:
        raise ValueError("t_interval needs at least one value")
    if values.size == 1:
        return float(values[0]), None
    s = values.std(ddof=1)
    return float(values.mean()), t_quantile((1 + confidence) / 2, values.size - 1) * s / math.sqrt(values.size)


def format_interval(values, digits=4, confidence=0.95):
    """"mean ± half width" of the t interval, or the single value alone (never "± 0" from one run)."""
    mean, half = t_interval(values, confidence)
    return f"{mean:.{digits}f}" if half is None else f"{mean:.{digits}f} ± {half:.{digits}f}"


def _recipe(history):
    config = {k: v for k, v in history["config"].items() if k not in PER_RUN_FIELDS}
    if config.get("amp") == "auto":          # "auto" is on exactly when the run had a GPU
        config["amp"] = str(history["env"].get("device", "cpu")).startswith("gpu")
    data = history["data"]
    return {"train images": data.get("train_size"), "val images": data.get("val_size"),
            "validation from": val_source(history), "transforms": data.get("transforms"),
            "data": describe_data(data), **config}


def val_source(history):
    """"train" or "test": where the run's validation images came from (histories before 0.2 validated on test)."""
    return history["data"].get("val_source", "test")


def check_comparable(histories, allow_val_from_test=False):
    """Raise ReportError unless all runs share data, budget and recipe (seeds may differ).

    With allow_val_from_test False (the default), runs validated on the test split are refused too:
    their "best val acc" was chosen on the images it reports.
    """
    if not histories:
        raise ReportError("no runs to report")
    if not allow_val_from_test:
        on_test = [run_name(h) for h in histories if val_source(h) == "test"]
        if on_test:
            raise ReportError(f"runs {', '.join(on_test)} were validated on the test split, so their validation "
                              f"figures were chosen on the images they report; train with --val-from train, or "
                              f"allow it explicitly (allow_val_from_test=True / --allow-val-from-test) and label the table")
    reference = _recipe(histories[0])
    for h in histories[1:]:
        recipe = _recipe(h)
        differ = [k for k in sorted(set(reference) | set(recipe)) if reference.get(k) != recipe.get(k)]
        if differ:
            details = "; ".join(f"{k}: {reference.get(k)!r} vs {recipe.get(k)!r}" for k in differ[:4])
            raise ReportError(f"runs {run_name(histories[0])} and {run_name(h)} differ in {details}; "
                              f"a table averages only runs of the same data, budget and recipe: report them separately")
    return histories


def chance_level_runs(histories):
    """Names of runs whose final validation accuracy is within CHANCE_MARGIN of 1/K (they learned nothing)."""
    flagged = []
    for h in histories:
        classes = len(h["test"]["final"]["per_class_acc"]) if h.get("test") else h["data"].get("num_classes", 10)
        if h["epochs"] and h["epochs"][-1]["val_acc"] <= 1 / classes + CHANCE_MARGIN:
            flagged.append(run_name(h))
    return flagged


def _test_acc(history, which="final"):
    test = history.get("test")
    if not test or not test.get(which):
        return None
    return test[which]["acc"]


def summarize(histories, confidence=0.95):
    """One row dict per model: accuracies as mean ± t-interval half width over its runs (seeds).

    Columns (COLUMNS): final train / val accuracy, best val accuracy and its epoch, final test accuracy
    (final weights) and the test accuracy of the best-on-validation weights ("-" without a test evaluation).
    """
    rows = []
    for name, runs in group_by_model(histories).items():
        last = [h["epochs"][-1] for h in runs]
        test_final = [_test_acc(h) for h in runs]
        test_best = [_test_acc(h, "best") for h in runs]
        rows.append({
            "model": name,
            "runs": len(runs),
            "params": f"{runs[0]['model']['params']:,}",
            "final train acc": format_interval([e["train_acc"] for e in last], confidence=confidence),
            "final val acc": format_interval([e["val_acc"] for e in last], confidence=confidence),
            "best val acc": format_interval([h["best"]["val_acc"] for h in runs], confidence=confidence),
            "best epoch": ",".join(str(h["best"]["epoch"]) for h in runs),
            "final test acc": "-" if None in test_final else format_interval(test_final, confidence=confidence),
            "test acc (best-val weights)": "-" if None in test_best else format_interval(test_best, confidence=confidence),
        })
    return rows


def paired_differences(histories, base, other, metric="val"):
    """`other` minus `base`, paired by seed: list of (seed, difference) for seeds both have.

    metric: "val" (final validation accuracy) or "test" (final test accuracy, runs without one skipped).
    """
    if metric not in ("val", "test"):
        raise ValueError(f"metric must be 'val' or 'test', got {metric!r}")
    value = (lambda h: h["epochs"][-1]["val_acc"]) if metric == "val" else _test_acc
    by_key = {(h["model"]["name"], h["config"]["seed"]): value(h) for h in histories}
    by_key = {k: v for k, v in by_key.items() if v is not None}
    seeds = sorted({s for (name, s) in by_key if name == base} & {s for (name, s) in by_key if name == other})
    return [(s, by_key[(other, s)] - by_key[(base, s)]) for s in seeds]


def describe_differences(histories, base, other, metric="val", confidence=0.95):
    """One line: per-seed differences of `other` - `base` in points, and their mean with a t interval."""
    diffs = paired_differences(histories, base, other, metric)
    if not diffs:
        return f"{other} - {base} ({metric}): no common seeds"
    points = [100 * d for _, d in diffs]
    per_seed = ", ".join(f"seed {s}: {p:+.2f}" for (s, _), p in zip(diffs, points))
    mean, half = t_interval(points, confidence)
    interval = (f"mean {mean:+.2f} points, {confidence:.0%} CI [{mean - half:+.2f}, {mean + half:+.2f}]"
                if half is not None else f"{mean:+.2f} points (one seed: no interval)")
    return f"{other} - {base}, final {metric} acc: {per_seed}; {interval}"


def load_predictions(history_paths):
    """{run name: {"label": [n], "pred": [n]}} from the `predictions.npz` beside each history.json that has one."""
    predictions = {}
    for path in history_paths:
        path = Path(path)
        saved = path.parent / PREDICTIONS_FILE
        if saved.is_file():
            with np.load(saved) as data:
                predictions[run_name(load_history(path))] = {"label": data["label"], "pred": data["pred"]}
    return predictions


def mcnemar_p(only_a, only_b):
    """Two-sided exact McNemar p-value for two classifiers on the same images.

    only_a / only_b: the images only classifier A / only classifier B gets right. Under "equally accurate" each
    of these n = only_a + only_b images falls on either side with probability 1/2, so the p-value is
    2 * P(X <= min(only_a, only_b)) for X ~ Binomial(n, 1/2), at most 1.
    """
    n, k = only_a + only_b, min(only_a, only_b)
    if n == 0:
        return 1.0
    log_half = n * math.log(0.5)
    tail = sum(math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half)
               for i in range(k + 1))
    return min(1.0, 2.0 * tail)


def compare_predictions(predictions_a, predictions_b):
    """A paired comparison of two runs on the same test images, as a dict.

    Keys: n, acc_a, acc_b, only_a (images only A gets right), only_b, p (McNemar's exact p-value), and se: the
    standard error, in points, that test-image sampling alone gives the accuracy difference B - A,
    100 * sqrt((d - m^2) / n) with d the discordant share and m the difference in accuracy.
    """
    labels = predictions_a["label"]
    if not np.array_equal(labels, predictions_b["label"]):
        raise ReportError("the two runs' predictions are not of the same test images in the same order")
    right_a, right_b = predictions_a["pred"] == labels, predictions_b["pred"] == labels
    n = labels.size
    only_a, only_b = int(np.sum(right_a & ~right_b)), int(np.sum(right_b & ~right_a))
    discordant, difference = (only_a + only_b) / n, (only_b - only_a) / n
    return {"n": n, "acc_a": float(right_a.mean()), "acc_b": float(right_b.mean()), "only_a": only_a,
            "only_b": only_b, "p": mcnemar_p(only_a, only_b),
            "se": 100 * math.sqrt(max(discordant - difference ** 2, 0.0) / n)}


def noise_of_differences(histories, predictions, base, other, confidence=0.95):
    """`other` - `base` on the test images, paired by seed, with both kinds of noise; None without common seeds.

    Returns a dict: per_seed [(seed, compare_predictions(base run, other run))], mean (points), half (the t
    interval's half width, None for one seed), between (standard deviation of the differences across seeds,
    points, None for one seed) and test_se (root mean square of the per-seed test-sampling standard errors).
    When `between` is well above `test_se`, the runs, not the test set, limit the answer: more seeds help, a
    larger test set would not.
    """
    runs = {(h["model"]["name"], h["config"]["seed"]): run_name(h) for h in histories}
    seeds = sorted(s for (name, s) in runs if name == base and (other, s) in runs
                   and runs[(base, s)] in predictions and runs[(other, s)] in predictions)
    if not seeds:
        return None
    per_seed = [(s, compare_predictions(predictions[runs[(base, s)]], predictions[runs[(other, s)]])) for s in seeds]
    points = [100 * (c["acc_b"] - c["acc_a"]) for _, c in per_seed]
    mean, half = t_interval(points, confidence)
    return {"per_seed": per_seed, "mean": mean, "half": half,
            "between": float(np.std(points, ddof=1)) if len(points) > 1 else None,
            "test_se": float(np.sqrt(np.mean([c["se"] ** 2 for _, c in per_seed])))}


def first_logged_loss(history):
    """The training loss of the first step (before any update), or None when step 1 was not logged."""
    steps = history.get("steps") or []
    return steps[0]["loss"] if steps and steps[0]["step"] == 1 else None


def _optional(value, fmt):
    return "-" if value is None else format(value, fmt)


def noise_section(histories, predictions, confidence=0.95):
    """Markdown: every pair of models compared on the test images, paired by seed, with McNemar per seed."""
    models = list(group_by_model(histories))
    lines = [f"Paired differences on the test images, every pair of models (points; mean ± half width of the "
             f"{confidence:.0%} t interval over seeds). *between seeds*: standard deviation of the difference "
             f"across seeds; *test sampling*: the standard error the test images alone give one seed's difference.",
             "", "| comparison | seeds | mean difference | between seeds | test sampling |", "|---|---|---|---|---|"]
    details = ["", "Per seed: test images only one model of the pair gets right, and McNemar's exact p-value.", "",
               "| comparison | seed | difference | only the first right | only the second right | p |",
               "|---|---|---|---|---|---|"]
    compared = 0
    for i, base in enumerate(models):
        for other in models[i + 1:]:
            noise = noise_of_differences(histories, predictions, base, other, confidence)
            if noise is None:
                continue
            compared += 1
            interval = f"{noise['mean']:+.2f}" + ("" if noise["half"] is None else f" ± {noise['half']:.2f}")
            lines.append(f"| {other} − {base} | {len(noise['per_seed'])} | {interval} | "
                         f"{_optional(noise['between'], '.2f')} | {noise['test_se']:.2f} |")
            for seed, c in noise["per_seed"]:
                details.append(f"| {other} − {base} | {seed} | {100 * (c['acc_b'] - c['acc_a']):+.2f} | "
                               f"{c['only_b']:,} | {c['only_a']:,} | {c['p']:.2g} |")
    if not compared:
        return ""
    if compared > 1:
        details += ["", f"{compared} comparisons: with several intervals, one excluding 0 by chance becomes likelier "
                        f"than {1 - confidence:.0%}."]
    return "\n".join(lines + details) + "\n"


def first_loss_section(histories):
    """Markdown: the first logged training loss of every run against ln K, the loss of uniform predictions."""
    rows = []
    for name, runs in group_by_model(histories).items():
        losses = [first_logged_loss(h) for h in runs]
        if None not in losses:
            rows.append(f"| {name} | {', '.join(f'{loss:.2f}' for loss in losses)} | {np.mean(losses):.2f} |")
    if not rows:
        return ""
    classes = histories[0]["data"].get("num_classes", 10)
    return (f"Training loss of the first step, before any update, per seed. Uniform predictions give "
            f"ln {classes} = {math.log(classes):.3f} (with or without label smoothing); a much larger first loss "
            f"means large initial logits.\n\n| model | per seed | mean |\n|---|---|---|\n" + "\n".join(rows) + "\n")


def describe_data(data):
    """What the data of a run was: from `history["data"]["source"]` (`ecapaddle.data.describe_source`,
    without its file path) when present, else its "kind"."""
    source = data.get("source")
    if source:
        return source.rsplit(" [", 1)[0].rsplit(": ", 1)[0]
    return data.get("kind", "data of unstated kind")


def describe_runs(histories):
    """One line on the data, protocol, epochs, batch, seeds and machine of a group of runs, from their histories."""
    h0 = histories[0]
    data, config, env = h0["data"], h0["config"], h0["env"]
    seeds = sorted({h["config"]["seed"] for h in histories})
    validation = ("held out of the training split" if val_source(h0) == "train" else "from the test split")
    test = f", {h0['test']['n']:,} test images evaluated once at the end" if h0.get("test") else ""
    return (f"{describe_data(data)}, {data['train_size']:,} train images, {data['val_size']:,} validation images "
            f"{validation}{test}, transforms '{data.get('transforms', '?')}', {config['epochs']} epochs, batch "
            f"{config['batch_size']}, seeds {seeds}; machine: {env['device']}, {env['cpu_count']} CPU cores "
            f"({env['cpu_model']}), Paddle {env['paddle']}")


def to_markdown(rows):
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(row[c]) for c in COLUMNS) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def to_csv(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def report_text(histories, allow_val_from_test=False, confidence=0.95, predictions=None):
    """The Markdown report of comparable runs: data line, table, paired differences, caveats.

    With `predictions` ({run name: {"label", "pred"}}, `load_predictions`), also the paired comparisons on the
    test images with both kinds of noise and McNemar's test (`noise_section`); the first logged losses always.
    """
    check_comparable(histories, allow_val_from_test)
    models = list(group_by_model(histories))
    lines = ["Data: " + describe_runs(histories) + ".", "",
             f"Accuracies: mean ± half width of the {confidence:.0%} t-interval over seeds "
             f"(one run: the value alone).", "", to_markdown(summarize(histories, confidence))]
    if val_source(histories[0]) == "test":
        lines.append("**Validated on the test split**: the validation figures were used for choices and are not "
                     "an independent test.\n")
    noise = noise_section(histories, predictions or {}, confidence)
    for other in models[1:]:
        for metric in ("val",) if noise else ("val", "test"):
            if paired_differences(histories, models[0], other, metric):
                lines.append("- " + describe_differences(histories, models[0], other, metric, confidence))
    if len(models) > 2:
        lines.append(f"\n{len(models) - 1} models are compared with {models[0]}: with several comparisons, one "
                     f"interval excluding 0 by chance becomes likelier than {1 - confidence:.0%}.")
    for section in (noise, first_loss_section(histories)):
        if section:
            lines += ["", section]
    flagged = chance_level_runs(histories)
    if flagged:
        lines.append(f"\nAt chance level (learned nothing): {', '.join(flagged)}.")
    return "\n".join(lines) + "\n"


def write_report(histories, out, allow_val_from_test=False, predictions=None):
    """table.md, table.csv and learning_curves.png in `out` from comparable histories; returns the text."""
    text = report_text(histories, allow_val_from_test, predictions=predictions)
    out = Path(out)
    (out / "table.md").write_text(text)
    (out / "table.csv").write_text(to_csv(summarize(histories)))
    plot_learning_curves(histories, out / "learning_curves.png", title="Data: " + describe_runs(histories))
    return text
