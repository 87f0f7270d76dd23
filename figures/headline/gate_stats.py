"""Per-stage gate statistics of the headline runs at the end of training -> figures/headline/gates.json.

usage: python figures/headline/gate_stats.py CIFAR10_ARCHIVE [RUNS_DIR]

For every AlexNet-ECA and gate-scale-control run whose final checkpoint is in RUNS_DIR (default
runs/headline, where figures/headline/run.sh trains; checkpoints are not committed), records the gates
of every ECA stage on 1,000 class-stratified images of the run's own validation split (held out of the
training split, seed 0, as the CLI draws it) with `ecapaddle.gates.gate_statistics`, and writes per run
and stage: the scalar summaries, the learned kernel, and the mean gate of every channel per class.
"""
import json
import sys
from pathlib import Path

import numpy as np

from ecapaddle import create
from ecapaddle.data import load_cifar10_holdout, stratified_indices
from ecapaddle.engine import load_checkpoint, load_history
from ecapaddle.gates import gate_statistics

IMAGES = 1000


def main(archive, runs_dir="runs/headline"):
    here = Path(__file__).resolve().parent
    result, val_set = {}, None
    for run in sorted(Path(runs_dir).glob("alexnet_eca*-seed*")):
        committed = here / run.name / "history.json"
        if not committed.is_file():
            print(f"{run.name}: not finished, skipped")
            continue
        history = load_history(committed)
        data = history["data"]
        if val_set is None:
            _, val_set, _ = load_cifar10_holdout(archive, data["transforms"], data["train_size"], data["val_size"],
                                                 seed=data["subset_seed"])
            chosen = stratified_indices(val_set.labels, IMAGES, seed=0)
            val_subset = [val_set[int(i)] for i in chosen]
        model = create(history["model"]["name"])
        load_checkpoint(model, run / "last")
        stages = gate_statistics(model, val_subset, batch_size=100, max_images=None, num_classes=10)
        kernels = [layer.conv.weight.numpy().ravel() for name, layer in model.named_sublayers()
                   if name in {s.name for s in stages}]
        result[run.name] = {
            "model": history["model"]["name"], "seed": history["config"]["seed"], "images": len(val_subset),
            "stages": [{**{k: (round(v, 6) if isinstance(v, float) else v) for k, v in s.summary().items()},
                        "kernel": np.round(kernel, 6).tolist(),
                        "class_means": np.round(s.class_means(), 4).tolist()}
                       for s, kernel in zip(stages, kernels)]}
        print(f"{run.name}: " + ", ".join(f"{s.name} image spread {s.image_spread():.4f}" for s in stages))
    (here / "gates.json").write_text(json.dumps(result, separators=(",", ":")) + "\n")
    print(f"wrote {here / 'gates.json'} ({len(result)} runs)")


if __name__ == "__main__":
    main(*sys.argv[1:])
