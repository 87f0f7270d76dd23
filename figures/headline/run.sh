#!/usr/bin/env bash
# The headline experiment (figures/headline/): AlexNet, AlexNet-ECA, the gate-scale control
# (AlexNet-ECA with gates 2*sigmoid starting at 1) and, last, the constant-gate control (AlexNet with every
# stage multiplied by 0.5, the scale of untrained ECA gates, and no attention), 3 seeds each, 10,000 training images and 5,000
# validation images held out of CIFAR-10's training split, 8 epochs, the notebook's recipe otherwise
# (batch 128, Adam 1e-3, weight decay 1e-5, cosine per step, label smoothing 0.1, notebook augmentation),
# then the 10,000-image test split once with the final weights.
#
# usage: bash figures/headline/run.sh CIFAR10_ARCHIVE [PARALLEL]
# Runs PARALLEL (default 2) single-thread training processes side by side (on a 2-core CPU two
# processes train about twice as fast in total as one process with two threads). Each run trains in
# runs/headline/<model>-seed<s> and resumes there after an interruption; a finished run's history,
# config and test predictions are copied to figures/headline/<model>-seed<s>/ (checkpoints stay in runs/).
set -euo pipefail
archive="${1:?usage: bash figures/headline/run.sh CIFAR10_ARCHIVE [PARALLEL]}"
parallel="${2:-2}"
cd "$(dirname "$0")/../.."
export archive OMP_NUM_THREADS=1 MKL_DEBUG_CPU_TYPE=5

run_one() {
    name="$1"; model="${name%-seed*}"; seed="${name##*-seed}"
    dest="figures/headline/$name"
    [ -f "$dest/history.json" ] && { echo "$name: done already"; return 0; }
    mkdir -p "runs/headline/$name"
    python -m ecapaddle train --model "$model" --seed "$seed" --data "$archive" \
        --train-subset 10000 --val-from train --val-subset 5000 --epochs 8 --batch-size 128 \
        --workers 0 --threads 1 --out "runs/headline/$name" --resume > "runs/headline/$name/train.log" 2>&1
    mkdir -p "$dest"
    cp "runs/headline/$name"/{history.json,config.json,predictions.npz} "$dest/"
    echo "$name: finished"
}
export -f run_one

{
    for seed in 42 43 44; do
        for model in alexnet alexnet_eca alexnet_eca_unitgate; do
            echo "$model-seed$seed"
        done
    done
    for seed in 42 43 44; do echo "alexnet_constgate-seed$seed"; done
} | xargs -P "$parallel" -I{} bash -c 'run_one {}'
