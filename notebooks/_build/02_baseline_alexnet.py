# Source of notebooks/02_baseline_alexnet.ipynb (percent format); rebuild with notebooks/build_notebooks.py.

# %% [markdown]
# # 02 · The baseline: AlexNet on CIFAR-10
#
# The course notebook this project reproduces trains an AlexNet for 3 × 128 × 128 inputs
# (CIFAR-10 images resized from 32 px) and then the same network with ECA
# ([ECA-Net, arXiv 1910.03151](https://arxiv.org/abs/1910.03151)). This notebook is the baseline:
# the model, the training recipe, and its learning curves.
#
# **What runs here.** Long trainings are not run inside the notebooks: `python -m ecapaddle compare`
# trains both models on real CIFAR-10 and writes one `history.json` per run under `figures/real/`.
# This notebook draws those histories when they exist, and says exactly what they are (data,
# epochs, seeds, machine, all read from the files). Without them — and always in quick mode — it
# trains a small run live so that every step can be seen and checked.

# %%
import os
import sys
import tempfile
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="No ccache found")          # printed by paddle at import
warnings.filterwarnings("ignore", message="IProgress not found")      # tqdm.auto without ipywidgets; bars are off here
QUICK = os.environ.get("ECAPADDLE_QUICK") == "1"    # quick mode: tiny synthetic data, seconds, nothing written into the repo
try:
    import ecapaddle                                 # first: it sets the CPU defaults before paddle loads
except ImportError:                                  # a clone that was not `pip install -e .`-ed (e.g. AI Studio)
    sys.path.insert(0, str(Path.cwd().parent))
    import ecapaddle
import matplotlib.pyplot as plt
import paddle

plt.rcParams["figure.dpi"] = 80
WORK = Path(tempfile.mkdtemp(prefix="ecapaddle-nb-"))     # scratch space, outside the repo
FIGURES = WORK if QUICK else Path("../figures")
REAL_RUNS = Path("../figures/real")
FIGURES.mkdir(exist_ok=True)
print("mode:", "QUICK (tiny synthetic data, figures to a temporary directory)" if QUICK
      else "full (real histories if present, else a reduced live run; figures saved under figures/)")

# %% [markdown]
# ## 1. The model
#
# Five convolutions (11×11 stride 4, 5×5, three 3×3), ReLU after each, three 3×3 max-pools, then a
# 1152 → 2048 → 2048 → 10 classifier with dropout 0.5. `ecapaddle.AlexNet` is the notebook's layout;
# its parameter count, 7,524,042, is exactly the notebook's.

# %%
# NBVAL_CHECK_OUTPUT
from ecapaddle import AlexNet, count_parameters

model = AlexNet(num_classes=10)
info = paddle.summary(model, (1, 3, 128, 128))
print(f"count_parameters: {count_parameters(model):,d}")

# %% [markdown]
# ## 2. The training recipe
#
# `ecapaddle.engine.TrainConfig` holds the notebook's recipe as its defaults: Adam (lr 1e-3,
# weight decay 1e-5), a cosine learning-rate decay stepped every batch over the whole run,
# label-smoothing cross entropy (ε = 0.1), batch 128, 50 epochs, seed 42. Fifty epochs at 128 px do
# not fit on a 2-core CPU, so every run here is **reduced** (fewer images and epochs); the
# notebook's numbers came from one 50-epoch run on a V100.

# %%
# NBVAL_CHECK_OUTPUT
from ecapaddle.engine import TrainConfig

for key, value in TrainConfig().to_dict().items():
    print(f"{key:16s} {value}")

# %% [markdown]
# ## 3. Real runs (from `figures/real/`)
#
# Each run folder holds the `history.json` written by the training engine: the loss every 10 steps,
# train and validation accuracy per epoch, the configuration, the data and the machine.

# %%
from ecapaddle.engine import load_history
from ecapaddle.plots import plot_learning_curves
from ecapaddle.report import describe_runs

runs = {p.parent.name: load_history(p) for p in sorted(REAL_RUNS.glob("*/history.json"))}
real = [h for h in runs.values() if h["model"]["name"] == "alexnet"]
if real:
    print(f"loaded from figures/real/ ({', '.join(n for n, h in runs.items() if h in real)}):\n  " + describe_runs(real))
    plot_learning_curves(real, FIGURES / "nb02_alexnet_real_curves.png",
                         title="AlexNet: " + describe_runs(real))
    plt.show()
else:
    print("no real AlexNet histories in figures/real/ yet (run `python -m ecapaddle compare` to make them); "
          "only the live run below is shown")

# %% [markdown]
# ## 4. A live run
#
# Quick mode trains for two epochs on a tiny synthetic archive in the CIFAR-10 format (colour and
# stripe patterns per class: *not* CIFAR-10, its accuracies mean nothing about CIFAR-10). The full
# mode, when no real histories exist, trains a reduced configuration on real CIFAR-10 found by
# `find_cifar10` (explicit path, `$ECAPADDLE_CIFAR10`, the AI Studio mount, Paddle's cache).

# %%
from ecapaddle.data import cifar10_or_synthetic, load_cifar10_splits, validate_cifar10_archive

LIVE = QUICK or not real
# quick: a tiny synthetic archive; full: real CIFAR-10 (find_cifar10), or synthetic when none is found
archive, source = cifar10_or_synthetic(WORK, synthetic=QUICK, n_train=128 if QUICK else 2000,
                                       n_test=64 if QUICK else 500)
if QUICK:
    RUN = dict(train_subset=None, val_subset=None, epochs=2, batch_size=32, log_every=1, transforms="fast")
else:
    RUN = dict(train_subset=2000, val_subset=500, epochs=3, batch_size=64, log_every=10, transforms="notebook")
print(source)
train_set, val_set = load_cifar10_splits(archive, RUN["transforms"], RUN["train_subset"], RUN["val_subset"])
print(f"{'QUICK' if QUICK else 'REDUCED'} live run: {len(train_set)} train / {len(val_set)} val images, "
      f"{RUN['epochs']} epoch(s), batch {RUN['batch_size']}, transforms '{RUN['transforms']}'"
      + ("" if LIVE else " -- skipped: the real histories above are shown instead"))

# %%
from ecapaddle import seed_everything
from ecapaddle.engine import train

if LIVE:
    config = TrainConfig(epochs=RUN["epochs"], batch_size=RUN["batch_size"], log_every=RUN["log_every"],
                         seed=42, progress=False)
    seed_everything(config.seed)                     # before building the model: repeatable initial weights
    model = AlexNet(num_classes=10)
    history = train(model, train_set, val_set, config, model_name="alexnet",
                    data_info={"kind": validate_cifar10_archive(archive).kind, **RUN})
    for e in history["epochs"]:
        print(f"epoch {e['epoch']}: train loss {e['train_loss']:.3f} acc {e['train_acc']:.3f} | "
              f"val loss {e['val_loss']:.3f} acc {e['val_acc']:.3f} | train {e['train_img_s']:.0f} img/s, "
              f"val {e['val_img_s']:.0f} img/s")

# %% [markdown]
# ## 5. Learning curves of the live run
#
# Left: the training loss every 10 steps (with label smoothing the loss cannot go far below ~0.5);
# right: train (dashed) and validation (solid) accuracy per epoch. Train accuracy is measured on
# augmented images with dropout on, so it can sit below the validation accuracy.

# %%
if LIVE:
    label = "QUICK (synthetic)" if QUICK else "REDUCED live run"
    plot_learning_curves([history], FIGURES / "nb02_alexnet_live_curves.png",
                         title=f"AlexNet, {label}: {len(train_set)} train / {len(val_set)} val images, "
                               f"{RUN['epochs']} epoch(s)")
    plt.show()

# %% [markdown]
# **Next:** notebook 03 puts ECA into this network.

# %%
import shutil

shutil.rmtree(WORK, ignore_errors=True)              # the scratch directory: synthetic data, quick-mode figures, exports
