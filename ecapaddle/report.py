"""Comparison tables (Markdown and CSV) from training histories: mean and std over seeds."""
import csv
import io

import numpy as np

from .plots import group_by_model

COLUMNS = ("model", "seeds", "params", "final train acc", "final val acc", "best val acc",
           "best epoch", "val img/s", "train img/s")


def _mean_std(values, digits=4):
    values = np.asarray(values, dtype="float64")
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def summarize(histories):
    """One row dict per model: final/best accuracies and throughput, mean ± std over its runs."""
    rows = []
    for name, runs in group_by_model(histories).items():
        last = [h["epochs"][-1] for h in runs]
        rows.append({
            "model": name,
            "seeds": ",".join(str(h["config"]["seed"]) for h in runs),
            "params": f"{runs[0]['model']['params']:,}",
            "final train acc": _mean_std([e["train_acc"] for e in last]),
            "final val acc": _mean_std([e["val_acc"] for e in last]),
            "best val acc": _mean_std([h["best"]["val_acc"] for h in runs]),
            "best epoch": ",".join(str(h["best"]["epoch"]) for h in runs),
            "val img/s": _mean_std([np.median([e["val_img_s"] for e in h["epochs"]]) for h in runs], 0),
            "train img/s": _mean_std([np.median([e["train_img_s"] for e in h["epochs"]]) for h in runs], 0),
        })
    return rows


def describe_data(data):
    """What the data of a run was: from `history["data"]["source"]` (`ecapaddle.data.describe_source`,
    without its file path) when present, else its "kind"."""
    source = data.get("source")
    if source:
        return source.rsplit(" [", 1)[0].rsplit(": ", 1)[0]
    return data.get("kind", "data of unstated kind")


def describe_runs(histories):
    """One line on the data, epochs, batch, seeds and machine of a group of runs, read from their histories."""
    data, config, env = histories[0]["data"], histories[0]["config"], histories[0]["env"]
    seeds = sorted({h["config"]["seed"] for h in histories})
    return (f"{describe_data(data)}, {data['train_size']:,} train / {data['val_size']:,} val "
            f"images, transforms '{data.get('transforms', '?')}', {config['epochs']} epochs, batch "
            f"{config['batch_size']}, seeds {seeds}; machine: {env['device']}, {env['cpu_count']} CPU cores "
            f"({env['cpu_model']}), Paddle {env['paddle']}")


def paired_differences(histories, base, other):
    """Final val accuracy of `other` minus `base`, paired by seed: list of (seed, difference)."""
    by_key = {(h["model"]["name"], h["config"]["seed"]): h["epochs"][-1]["val_acc"] for h in histories}
    seeds = sorted({s for (name, s) in by_key if name == base} & {s for (name, s) in by_key if name == other})
    return [(s, by_key[(other, s)] - by_key[(base, s)]) for s in seeds]


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
