#!/usr/bin/env bash
# The paired experiment (figures/paired/): AlexNet, AlexNet-ECA and the constant-gate control (AlexNet with every
# stage multiplied by 0.5, the scale of untrained ECA gates, and no attention), then the unit-gate control
# (AlexNet-ECA with gates 2*sigmoid starting at 1), seeds 42-46 each. For one seed every model starts from the
# same conv and classifier weights and sees the same images in the same order with the same augmentation and
# dropout draws. The `cpu` recipe: 10,000 training images and 5,000 validation images held out of CIFAR-10's
# training split, 8 epochs, batch 128, Adam 1e-3, weight decay 1e-5, cosine per step, label smoothing 0.1, the
# notebook's augmentation; then the 10,000-image test split once with the final weights.
#
# usage: bash figures/paired/run.sh CIFAR10_ARCHIVE [PARALLEL]
# Runs PARALLEL (default 2) single-thread training processes side by side (on a 2-core CPU, processes scale
# better than threads: see benchmarks/README.md, `train --procs 2` against one 2-thread process). Each run
# trains in runs/paired/<model>-seed<s> and resumes there after an interruption; a finished run's history,
# config and test predictions are copied to figures/paired/<model>-seed<s>/ (checkpoints stay in runs/).
set -euo pipefail
archive="${1:?usage: bash figures/paired/run.sh CIFAR10_ARCHIVE [PARALLEL]}"
parallel="${2:-2}"
cd "$(dirname "$0")/../.."
export archive OMP_NUM_THREADS=1

run_one() {
    name="$1"; model="${name%-seed*}"; seed="${name##*-seed}"
    dest="figures/paired/$name"
    [ -f "$dest/history.json" ] && { echo "$name: done already"; return 0; }
    mkdir -p "runs/paired/$name"
    python -m ecapaddle train --recipe cpu --model "$model" --seed "$seed" --data "$archive" \
        --threads 1 --no-progress --out "runs/paired/$name" --resume >> "runs/paired/$name/train.log" 2>&1
    mkdir -p "$dest"
    cp "runs/paired/$name"/{history.json,config.json,predictions.npz} "$dest/"
    echo "$name: finished"
}
export -f run_one

{
    for seed in 42 43 44 45 46; do
        for model in alexnet alexnet_eca alexnet_constgate; do echo "$model-seed$seed"; done
    done
    for seed in 42 43 44 45 46; do echo "alexnet_eca_unitgate-seed$seed"; done
} | xargs -P "$parallel" -I{} bash -c 'run_one {}'
