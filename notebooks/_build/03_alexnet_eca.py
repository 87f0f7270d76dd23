# Source of notebooks/03_alexnet_eca.ipynb (percent format); rebuild with notebooks/build_notebooks.py.

# %% [markdown]
# # 03 · AlexNet-ECA
#
# The same AlexNet as in notebook 02, with an ECA layer ([arXiv 1910.03151](https://arxiv.org/abs/1910.03151))
# after each of its five convolutions. This notebook shows where the layers go and why, trains the
# network (or loads the real runs), and looks at what the attention learned.

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
import numpy as np
import paddle

plt.rcParams["figure.dpi"] = 80
WORK = Path(tempfile.mkdtemp(prefix="ecapaddle-nb-"))     # scratch space, outside the repo
FIGURES = WORK if QUICK else Path("../figures")
REAL_RUNS = Path("../figures/real")
FIGURES.mkdir(exist_ok=True)
print("mode:", "QUICK (tiny synthetic data, figures to a temporary directory)" if QUICK
      else "full (real histories if present, else a reduced live run; figures saved under figures/)")

# %% [markdown]
# ## 1. Where ECA goes in AlexNet
#
# In the original notebook each stage is Conv2D → **ECA** → ReLU (→ MaxPool). AlexNet has no
# BatchNorm, so this is the spot that matches the paper's "after the last normalisation, before the
# non-linearity": the gate sees the signed pre-activations, whose channel means can be positive or
# negative, and scales them before ReLU cuts the negative part. (Notebook 05 measures the alternative,
# after ReLU.) The kernel sizes are the notebook's (3, 3, 5, 5, 3), not the adaptive rule's.

# %%
# NBVAL_CHECK_OUTPUT
from ecapaddle import AlexNet, AlexNetECA, count_parameters, eca_kernel_size
from ecapaddle.layers import ECA

model = AlexNetECA(num_classes=10)
print(model.features)
print()
print("stage | conv out channels | ECA k (notebook) | k (adaptive rule) | ECA parameters")
for stage, eca in enumerate(layer for layer in model.features if isinstance(layer, ECA)):
    print(f"{stage + 1:5d} | {eca.channels:17d} | {eca.kernel_size:16d} | {eca_kernel_size(eca.channels):17d} | "
          f"{count_parameters(eca):14d}")
base = count_parameters(AlexNet(num_classes=10))
print(f"\nAlexNet {base:,d} -> AlexNet-ECA {count_parameters(model):,d} parameters (+{count_parameters(model) - base})")

# %% [markdown]
# ## 2. Where ECA goes in a residual network
#
# In ResNets the paper puts ECA at the end of the residual branch: after the block's last BatchNorm and
# **before the addition** of the shortcut. The gate then rescales only what the block adds, and the
# identity path stays untouched, so a block can still pass its input through (the same spot as SE).
# `ecapaddle.models.add_attention` finds these places in `paddle.vision.models` networks; here is one
# block of a ResNet-18 before and after (its `bn2` becomes `Sequential(bn2, ECA)`):

# %%
# NBVAL_CHECK_OUTPUT
from paddle.vision.models import resnet18

from ecapaddle.models import add_attention

block = resnet18(num_classes=10).layer2[0]
print("before:", [name for name, _ in block.named_children()])
resnet = add_attention(resnet18(num_classes=10), "eca")
print("after: ", [name for name, _ in resnet.layer2[0].named_children()], "->", resnet.layer2[0].bn2)
print(f"{len(resnet._ecapaddle_attention)} ECA layers, first: {resnet._ecapaddle_attention[0]}")

# %% [markdown]
# ## 3. Real runs (from `figures/real/`)

# %%
from ecapaddle.engine import load_history
from ecapaddle.plots import plot_learning_curves
from ecapaddle.report import describe_runs

runs = {p.parent.name: load_history(p) for p in sorted(REAL_RUNS.glob("*/history.json"))}
real_names = [name for name, h in runs.items() if h["model"]["name"] == "alexnet_eca"]
real = [runs[name] for name in real_names]
if real:
    print(f"loaded from figures/real/ ({', '.join(real_names)}):\n  " + describe_runs(real))
    plot_learning_curves(real, FIGURES / "nb03_alexnet_eca_real_curves.png", title="AlexNet-ECA: " + describe_runs(real))
    plt.show()
else:
    print("no real AlexNet-ECA histories in figures/real/ yet (run `python -m ecapaddle compare` to make them); "
          "only the live run below is shown")

# %% [markdown]
# ## 4. A live run
#
# The same settings as notebook 02 (quick: two epochs on a tiny synthetic archive, *not* CIFAR-10; full
# mode without real histories: a reduced run on real CIFAR-10).

# %%
from ecapaddle import seed_everything
from ecapaddle.data import cifar10_or_synthetic, load_cifar10_splits, validate_cifar10_archive
from ecapaddle.engine import TrainConfig, train

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

if LIVE:
    config = TrainConfig(epochs=RUN["epochs"], batch_size=RUN["batch_size"], log_every=RUN["log_every"],
                         seed=42, progress=False)
    seed_everything(config.seed)                     # before building the model: repeatable initial weights
    model = AlexNetECA(num_classes=10)
    history = train(model, train_set, val_set, config, model_name="alexnet_eca",
                    data_info={"kind": validate_cifar10_archive(archive).kind, **RUN})
    for e in history["epochs"]:
        print(f"epoch {e['epoch']}: train loss {e['train_loss']:.3f} acc {e['train_acc']:.3f} | "
              f"val loss {e['val_loss']:.3f} acc {e['val_acc']:.3f} | train {e['train_img_s']:.0f} img/s, "
              f"val {e['val_img_s']:.0f} img/s")
    plot_learning_curves([history], FIGURES / "nb03_alexnet_eca_live_curves.png",
                         title=f"AlexNet-ECA, {'QUICK (synthetic)' if QUICK else 'REDUCED live run'}: "
                               f"{len(train_set)} train / {len(val_set)} val images, {RUN['epochs']} epoch(s)")
    plt.show()

# %% [markdown]
# ## 5. What the attention learned
#
# For each ECA stage: the learned kernel (k weights shared by all channels, left) and the mean gate
# sigmoid(conv(pool(x))) of every channel over a batch of validation images (right). A flat gate at 0.5
# would mean "no attention"; the spread shows how strongly a stage reweights its channels. The weights
# are the final (last-epoch) weights of a real run when its checkpoint is on this machine (checkpoints
# are not committed), else those of the live run.

# %%
from ecapaddle.engine import load_checkpoint
from ecapaddle.plots import eca_attention_weights, plot_eca_weights

checkpoints = [REAL_RUNS / name / "last.pdparams" for name in real_names if (REAL_RUNS / name / "last.pdparams").is_file()]
if validate_cifar10_archive(archive).kind == "synthetic":
    checkpoints = []                                 # real weights are shown on real images only
if checkpoints:
    model = AlexNetECA(num_classes=10)
    load_checkpoint(model, checkpoints[0])
    print(f"weights: {checkpoints[0].relative_to('..')} (real run, last epoch)")
elif LIVE:
    print("weights: the live run above" + (" (QUICK: two epochs on synthetic data, barely trained)" if QUICK else ""))
else:
    model = None
    print("no checkpoint of the real runs on this machine and no live run: nothing to show")
if model is not None:
    images = paddle.to_tensor(np.stack([val_set[i][0] for i in range(min(64, len(val_set)))]))
    plot_eca_weights(model, images, FIGURES / "nb03_eca_weights.png")
    plt.show()
    for name, kernel, gate in eca_attention_weights(model, images):
        print(f"{name:12s} kernel [{', '.join(f'{w:+.2f}' for w in kernel)}]  gate over channels: "
              f"mean {gate.mean():.2f}, std {gate.std():.3f}, min {gate.min():.2f}, max {gate.max():.2f}")

# %% [markdown]
# ## 6. A side effect: the scale at initialisation
#
# Before any training, an ECA gate is sigmoid of a small number, close to 0.5. Five stages in a row then
# shrink the activations reaching the classifier, so the two networks do not even start from the same
# place: AlexNet-ECA begins with much smaller logits. That is a difference of scale, not of attention.
# The cell measures it over a few random initialisations; notebook 05 trains a "constant gate 0.5" control
# that has the scale and no attention.

# %%
images = paddle.to_tensor(np.stack([val_set[i][0] for i in range(min(32, len(val_set)))]))
logit_std = {"AlexNet": [], "AlexNet-ECA": []}
gates = []
with paddle.no_grad():
    for seed in range(5):
        for name, build in (("AlexNet", AlexNet), ("AlexNet-ECA", AlexNetECA)):
            seed_everything(seed)
            untrained = build(num_classes=10)
            untrained.eval()
            logit_std[name].append(float(untrained(images).numpy().std()))   # numpy: Tensor.std logs a dtype warning
            if name == "AlexNet-ECA":
                gates.append([gate.mean() for _, _, gate in eca_attention_weights(untrained, images)])
print("untrained AlexNet-ECA, mean gate per stage:", ", ".join(f"{g:.2f}" for g in np.mean(gates, axis=0)))
for name, values in logit_std.items():
    print(f"untrained {name:12s} std of the logits: {np.mean(values):.4f} ± {np.std(values, ddof=1):.4f} (5 initialisations)")

# %% [markdown]
# **Next:** notebook 04 puts the two models side by side, over several seeds.

# %%
import shutil

shutil.rmtree(WORK, ignore_errors=True)              # the scratch directory: synthetic data, quick-mode figures, exports
