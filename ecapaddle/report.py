"""Comparison tables from training histories: means with t-based confidence intervals, paired differences.

`check_comparable` refuses to average runs that differ in data, budget or recipe. With the runs' test
predictions, the report also sets the spread of a paired difference between seeds against the sampling
noise of the test images, with McNemar's exact test per seed.
"""
import csv
import io
import itertools
import math
from pathlib import Path

import numpy as np

from .plots import plot_learning_curves
from .utils import group_by_model

COLUMNS = ("model", "runs", "params", "final train acc", "final val acc", "best val acc", "best epoch",
           "final test acc", "test acc (best-val weights)")
# config fields that may differ between runs that are averaged together (they do not change the recipe)
PER_RUN_FIELDS = ("seed", "progress", "num_workers", "eval_batch_size", "visualdl_dir")
CHANCE_MARGIN = 0.02     # a run within 2 points of 1/K accuracy learned nothing
PREDICTIONS_FILE = "predictions.npz"    # written beside history.json by the trainer: labels and predicted classes


class ReportError(ValueError):
    """The runs given to a report cannot be summarised together."""


def run_name(history):
    return f"{history['model']['name']}-seed{history['config']['seed']}"


def t_quantile(p, df):
    """The p-quantile (0.5 < p < 1) of Student's t with df degrees of freedom.

    With x = sqrt(df) tan(theta), P(0 <= T <= x) is c * (integral of cos(theta)^(df-1) from 0 to theta),
    c = Gamma((df+1)/2) / (sqrt(pi) Gamma(df/2)): integrated on a fine grid of theta in [0, pi/2], inverted.
    """
    if not 0.5 < p < 1 or df < 1:
        raise ValueError(f"t_quantile needs 0.5 < p < 1 and df >= 1, got p={p}, df={df}")
    theta = np.linspace(0, np.pi / 2, 200_001)
    density = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(math.pi) * np.cos(theta) ** (df - 1)
    mass = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(theta))])
    return math.sqrt(df) * math.tan(np.interp(p - 0.5, mass, theta))


def t_interval(values, confidence=0.95):
    """(mean, half width) of the t-based confidence interval of the mean of n values: half width
    t_{(1+confidence)/2, n-1} * s / sqrt(n), s their sample standard deviation; None for one value."""
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
    """"train" or "test": where the run's validation images came from (histories written before the field
    existed validated on the test split)."""
    return history["data"].get("val_source", "test")


def check_comparable(histories, allow_val_from_test=False):
    """Raise ReportError unless all runs share data, budget and recipe (seeds may differ), and, unless
    `allow_val_from_test`, none was validated on the test split (its "best val acc" was chosen on them)."""
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


def chance_level_runs(histories):
    """Names of runs whose final validation accuracy is within CHANCE_MARGIN of 1/K (they learned nothing)."""
    def classes(h):
        return len(h["test"]["final"]["per_class_acc"]) if h.get("test") else h["data"].get("num_classes", 10)
    return [run_name(h) for h in histories
            if h["epochs"] and h["epochs"][-1]["val_acc"] <= 1 / classes(h) + CHANCE_MARGIN]


def _test_acc(history, which="final"):
    test = history.get("test") or {}
    return test[which]["acc"] if test.get(which) else None


def summarize(histories, confidence=0.95):
    """One row dict per model (COLUMNS): accuracies as mean ± t-interval half width over its runs (seeds);
    "-" for a test accuracy of runs without a test evaluation."""
    def interval(values):
        return "-" if None in values else format_interval(values, confidence=confidence)

    rows = []
    for name, runs in group_by_model(histories).items():
        last = [h["epochs"][-1] for h in runs]
        rows.append({
            "model": name,
            "runs": len(runs),
            "params": f"{runs[0]['model']['params']:,}",
            "final train acc": interval([e["train_acc"] for e in last]),
            "final val acc": interval([e["val_acc"] for e in last]),
            "best val acc": interval([h["best"]["val_acc"] for h in runs]),
            "best epoch": ",".join(str(h["best"]["epoch"]) for h in runs),
            "final test acc": interval([_test_acc(h) for h in runs]),
            "test acc (best-val weights)": interval([_test_acc(h, "best") for h in runs]),
        })
    return rows


def paired_differences(histories, base, other, metric="val"):
    """`other` minus `base` in final "val" or "test" accuracy (`metric`), paired by seed: [(seed, difference)]
    for the seeds both have (runs without a test accuracy skipped)."""
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
        raise ReportError(f"{other} and {base} share no seed with a final {metric} accuracy; train both with the "
                          f"same seeds (--seeds)")
    points = [100 * d for _, d in diffs]
    per_seed = ", ".join(f"seed {s}: {p:+.2f}" for (s, _), p in zip(diffs, points))
    mean, half = t_interval(points, confidence)
    interval = (f"mean {mean:+.2f} points, {confidence:.0%} CI [{mean - half:+.2f}, {mean + half:+.2f}]"
                if half is not None else f"{mean:+.2f} points (one seed: no interval)")
    return f"{other} - {base}, final {metric} acc: {per_seed}; {interval}"


def load_predictions(runs):
    """{run name: {"label": [n], "pred": [n]}} from the `predictions.npz` beside each history.json of `runs`,
    {path of a history.json: that history}, that has one."""
    predictions = {}
    for path, history in runs.items():
        saved = Path(path).parent / PREDICTIONS_FILE
        if saved.is_file():
            with np.load(saved) as data:
                predictions[run_name(history)] = {"label": data["label"], "pred": data["pred"]}
    return predictions


def mcnemar_p(only_a, only_b):
    """Two-sided exact McNemar p-value for two classifiers on the same images, `only_a` / `only_b` the images
    only classifier A / B gets right: 2 * P(X <= min(only_a, only_b)), X ~ Binomial(only_a + only_b, 1/2)."""
    n = only_a + only_b
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1)) / 2 ** n)


def compare_predictions(predictions_a, predictions_b):
    """A paired comparison of two runs on the same test images: dict(n, acc_a, acc_b, only_a (images only A
    gets right), only_b, p (McNemar's exact p-value), se), se the standard error, in points, that test-image
    sampling alone gives the difference B - A: 100 * sqrt((d - m^2) / n), d the discordant share, m B - A."""
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

    Returns dict(per_seed [(seed, compare_predictions(base run, other run))], mean, half (of the t interval),
    between (standard deviation across seeds), test_se (root mean square of the per-seed test-sampling
    errors)), in points; half and between are None for one seed.
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


def noise_section(histories, predictions, confidence=0.95):
    """Markdown: every pair of models compared on the test images, paired by seed, with McNemar per seed."""
    lines = [f"Paired differences on the test images, every pair of models (points; mean ± half width of the "
             f"{confidence:.0%} t interval over seeds). *between seeds*: standard deviation of the difference "
             f"across seeds; *test sampling*: the standard error the test images alone give one seed's difference.",
             "", "| comparison | seeds | mean difference | between seeds | test sampling |", "|---|---|---|---|---|"]
    details = ["", "Per seed: test images only one model of the pair gets right, and McNemar's exact p-value.", "",
               "| comparison | seed | difference | only the first right | only the second right | p |",
               "|---|---|---|---|---|---|"]
    compared = 0
    for base, other in itertools.combinations(group_by_model(histories), 2):
        noise = noise_of_differences(histories, predictions, base, other, confidence)
        if noise is None:
            continue
        compared += 1
        interval = f"{noise['mean']:+.2f}" + ("" if noise["half"] is None else f" ± {noise['half']:.2f}")
        between = "-" if noise["between"] is None else f"{noise['between']:.2f}"
        lines.append(f"| {other} − {base} | {len(noise['per_seed'])} | {interval} | {between} | "
                     f"{noise['test_se']:.2f} |")
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
    """The Markdown report of comparable runs: data line, table, paired differences, first losses, caveats;
    with `predictions` (`load_predictions`) also the paired comparisons on the test images (`noise_section`)."""
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
