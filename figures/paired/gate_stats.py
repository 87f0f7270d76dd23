"""Per-stage gate statistics of the paired runs -> figures/paired/gates.json.

usage: python figures/paired/gate_stats.py CIFAR10_ARCHIVE [RUNS_DIR]

For every AlexNet-ECA and unit-gate-control run whose final checkpoint is in RUNS_DIR (default runs/paired, where
figures/paired/run.sh trains; checkpoints are not committed), records the gates of every ECA stage on 1,000
class-stratified images of the run's own validation split (held out of the training split, as the CLI draws it)
with `ecapaddle.gates.gate_statistics`: once with the trained weights and, for AlexNet-ECA, once with the weights
the run started from (the same seed builds the same model), so that the trained gates are compared with untrained
gates and with the control by the same code. Writes per run and stage the scalar summaries, the kernel and the
mean gate of every channel per class. Records already in gates.json whose run has no checkpoint here are kept.
"""
import json
import sys
from pathlib import Path

import numpy as np

from ecapaddle import create, seed_everything
from ecapaddle.data import load_cifar10_holdout, stratified_indices
from ecapaddle.engine import load_checkpoint, load_history
from ecapaddle.gates import gate_statistics

IMAGES = 1000


def record(model, images, history, weights):
    stages = gate_statistics(model, images, batch_size=100, max_images=None, num_classes=10)
    layers = dict(model.named_sublayers())
    return {"model": history["model"]["name"], "seed": history["config"]["seed"], "weights": weights,
            "images": len(images),
            "stages": [{**{k: (round(v, 6) if isinstance(v, float) else v) for k, v in s.summary().items()},
                        "kernel": np.round(layers[s.name].conv.weight.numpy().ravel(), 6).tolist(),
                        "class_means": np.round(s.class_means(), 4).tolist()} for s in stages]}


def main(archive, runs_dir="runs/paired"):
    here = Path(__file__).resolve().parent
    saved = here / "gates.json"
    result = json.loads(saved.read_text()) if saved.is_file() else {}     # records of runs not on this machine stay
    images = None
    for run in sorted(Path(runs_dir).glob("alexnet_eca*-seed*")):
        committed = here / run.name / "history.json"
        if not committed.is_file():
            print(f"{run.name}: not finished, skipped")
            continue
        history = load_history(committed)
        if images is None:
            data = history["data"]
            _, val_set, _ = load_cifar10_holdout(archive, data["transforms"], data["train_size"], data["val_size"],
                                                 seed=data["subset_seed"])
            images = [val_set[int(i)] for i in stratified_indices(val_set.labels, IMAGES, seed=0)]
        name, seed = history["model"]["name"], history["config"]["seed"]
        if name == "alexnet_eca":
            seed_everything(seed)                           # the weights the run started from
            result[f"{run.name}-untrained"] = record(create(name), images, history, "untrained")
        model = create(name)
        load_checkpoint(model, run / "last")
        result[run.name] = record(model, images, history, "trained")
        print(f"{run.name}: class share per stage " + ", ".join(f"{s['class share']:.3f}"
                                                                for s in result[run.name]["stages"]))
    (here / "gates.json").write_text(json.dumps(result, separators=(",", ":")) + "\n")
    print(f"wrote {here / 'gates.json'} ({len(result)} records)")


if __name__ == "__main__":
    main(*sys.argv[1:])
