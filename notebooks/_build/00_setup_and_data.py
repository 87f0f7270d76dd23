# Source of notebooks/00_setup_and_data.ipynb (percent format); rebuild with notebooks/build_notebooks.py.

# %% [markdown]
# # 00 · Set-up and data
#
# This course reproduces, with an honest protocol, the PaddlePaddle AI Studio experiment
# "AlexNet with Efficient Channel Attention on CIFAR-10" (ECA: Wang et al., CVPR 2020,
# [arXiv 1910.03151](https://arxiv.org/abs/1910.03151)). All code lives in the `ecapaddle`
# package; the notebooks show the ideas and call the package.
#
# | notebook | content |
# |---|---|
# | 00 | installation check, where CIFAR-10 comes from, the images, the augmentation, mixup |
# | 01 | ECA explained: from SE to a 1-D convolution, the band matrix, the adaptive k, the cost |
# | 02 | the baseline AlexNet: model, recipe, learning curves |
# | 03 | AlexNet-ECA: where ECA goes, learning curves, what the attention learned |
# | 04 | the comparison, and what is left of the original +5.23-point claim |
# | 05 | ablations: kernel size, adaptive k, ECA vs SE and its variants, placement, several seeds |
# | 06 | ECA in your own model: ResNet-18 / MobileNetV2, training, export, inference |
#
# **Two modes.** With `ECAPADDLE_QUICK=1` (what the tests use) every notebook runs in seconds on a
# tiny synthetic dataset and writes nothing into the repository. Without it, notebooks use real
# CIFAR-10 and save their figures under `figures/`.
#
# ## 1. Installation check

# %%
import os
import platform
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
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import paddle
from matplotlib_inline.backend_inline import set_matplotlib_formats

plt.rcParams["figure.dpi"] = 80
set_matplotlib_formats("jpeg", pil_kwargs={"quality": 85})   # this notebook shows photos: JPEG keeps it small
WORK = Path(tempfile.mkdtemp(prefix="ecapaddle-nb-"))     # scratch space, outside the repo
FIGURES = WORK if QUICK else Path("../figures")
FIGURES.mkdir(exist_ok=True)
print("mode:", "QUICK (tiny synthetic data, figures to a temporary directory)" if QUICK
      else "full (real CIFAR-10, figures saved under figures/)")
print(f"python {platform.python_version()}, paddle {paddle.__version__}, numpy {np.__version__}, "
      f"matplotlib {matplotlib.__version__}, ecapaddle {ecapaddle.__version__}")
print(f"device: {paddle.get_device()} (CUDA build: {paddle.is_compiled_with_cuda()}), CPU cores: {os.cpu_count()}")
print("CPU settings ecapaddle applied before importing paddle:", ecapaddle.CPU_SETTINGS_APPLIED or "none (already set)")
print("OMP_NUM_THREADS =", os.environ.get("OMP_NUM_THREADS"), "| MKL_DEBUG_CPU_TYPE =", os.environ.get("MKL_DEBUG_CPU_TYPE"))

# %% [markdown]
# On a CPU, `import ecapaddle` sets two environment variables when they are unset, before Paddle
# is imported (see `ecapaddle/runtime.py` and `benchmarks/`): `OMP_NUM_THREADS` = number of cores
# (Paddle would otherwise use one core) and `MKL_DEBUG_CPU_TYPE=5` (Paddle's bundled MKL takes a slow
# path on AMD CPUs without it). That is why `ecapaddle` is imported before `paddle`, and why Paddle
# may print a warning about `OMP_NUM_THREADS` (it concerns multi-GPU data parallel only).
# Set `ECAPADDLE_NO_CPU_TUNING=1` to leave the environment alone. On a GPU machine (e.g. AI Studio),
# Paddle uses the GPU automatically.
#
# ## 2. Where CIFAR-10 comes from
#
# The notebook that this course reproduces read `data/data152754/cifar-10-python.tar.gz`, a dataset
# mounted by AI Studio, with `paddle.vision.datasets.Cifar10(data_file=...)`. `ecapaddle.data.find_cifar10`
# looks for the same official archive, in this order (the first hit wins, nothing is downloaded
# unless asked with `download=True`):
#
# 1. an explicit path: `find_cifar10("path/to/cifar-10-python.tar.gz")` (or its directory);
# 2. the environment variable `ECAPADDLE_CIFAR10`;
# 3. the AI Studio mount `data/data152754/cifar-10-python.tar.gz` (under the working directory, then `/home/aistudio`);
# 4. Paddle's download cache (`~/.cache/paddle/dataset/cifar/`), where `Cifar10(download=True)` puts it.
#
# A path given explicitly (1 or 2) that does not exist is an error, never a silent fall-through:

# %%
from ecapaddle.data import DatasetNotFoundError, find_cifar10

try:
    find_cifar10("no/such/dir/cifar-10-python.tar.gz")
except DatasetNotFoundError as err:
    print(type(err).__name__ + ":", err)

# %% [markdown]
# Quick mode writes a small **synthetic** archive in the official format instead (class-dependent
# colours and stripe patterns: a stand-in for tests, *not* CIFAR-10). `describe_source` always says
# which kind of data a run uses.

# %%
from ecapaddle.data import CIFAR10_CLASSES, describe_source, load_cifar10, make_synthetic_cifar10

if QUICK:
    archive = make_synthetic_cifar10(WORK / "cifar-10-python.tar.gz", n_train=500, n_test=100, seed=0)
else:
    try:
        archive = find_cifar10()
    except DatasetNotFoundError as err:
        print(f"*** no real CIFAR-10 found, falling back to SYNTHETIC data ***\n{err}")
        archive = make_synthetic_cifar10(WORK / "cifar-10-python.tar.gz", n_train=5000, n_test=1000, seed=0)
print(describe_source(archive).replace(str(archive), Path(archive).name))   # no local paths in the output
train_raw = load_cifar10("train", archive)          # no transform: items are (PIL image 32 x 32, label)
test_raw = load_cifar10("test", archive)
print(f"train: {len(train_raw):,} images, test: {len(test_raw):,} images, classes: {', '.join(CIFAR10_CLASSES)}")

# %% [markdown]
# ## 3. A look at the images and the class balance

# %%
fig, axes = plt.subplots(3, 10, figsize=(12, 4))
for c, column in enumerate(axes.T):
    for ax, index in zip(column, np.flatnonzero(train_raw.labels == c)[:3]):
        ax.imshow(train_raw[index][0], interpolation="nearest")     # the real 32 x 32 pixels, not smoothed
        ax.axis("off")
    column[0].set_title(CIFAR10_CLASSES[c], fontsize=9)
fig.suptitle("three training images per class (32 x 32)", fontsize=10)
fig.tight_layout()
fig.savefig(FIGURES / "nb00_images.png", dpi=80, bbox_inches="tight")
plt.show()

# %%
fig, ax = plt.subplots(figsize=(9, 3))
width = 0.4
for shift, (name, dataset) in zip((-width / 2, width / 2), [("train", train_raw), ("test", test_raw)]):
    counts = np.bincount(dataset.labels, minlength=10)
    ax.bar(np.arange(10) + shift, counts, width, label=f"{name} ({len(dataset):,})")
    print(f"{name:5s} images per class: min {counts.min():,}, max {counts.max():,}")
ax.set_xticks(np.arange(10), CIFAR10_CLASSES, rotation=30, fontsize=8)
ax.set(ylabel="images", title="class balance")
ax.legend()
fig.tight_layout()
fig.savefig(FIGURES / "nb00_class_balance.png", dpi=80, bbox_inches="tight")
plt.show()

# %% [markdown]
# CIFAR-10 is perfectly balanced (5,000 training and 1,000 test images per class), so plain accuracy is a
# fair summary, and a stratified subset (`load_cifar10(..., subset=n)`) keeps the balance.
#
# ## 4. The augmentation pipeline
#
# The models take 128 × 128 inputs, so every 32 × 32 image is upscaled. `build_transforms(preset, train)`
# builds two presets from `paddle.vision.transforms`:
#
# - `"notebook"`, the original recipe: Resize(130) → ColorJitter(0.2, 0.2, 0.2) →
#   RandomResizedCrop(128, scale 0.6–1) → RandomHorizontalFlip → RandomRotation(20) → ToTensor →
#   Normalize (ImageNet mean and std);
# - `"fast"`, cheaper for CPU runs: RandomCrop(32, padding 4) → RandomHorizontalFlip → Resize(128) →
#   ToTensor → Normalize.
#
# The test pipeline of both is Resize(128) → ToTensor → Normalize. Below: one image through the test
# pipeline, then seven random draws of each training pipeline.

# %%
from ecapaddle import seed_everything
from ecapaddle.data import build_transforms
from ecapaddle.plots import to_display_image

image, label = train_raw[0]
test_transform = build_transforms("notebook", train=False)
print("test pipeline output:", test_transform(image).shape, test_transform(image).dtype)
seed_everything(0)                                   # the random transforms draw from Python's and NumPy's generators
fig, axes = plt.subplots(2, 8, figsize=(12, 3.6))
for row, preset in zip(axes, ("notebook", "fast")):
    train_transform = build_transforms(preset, train=True)
    row[0].imshow(to_display_image(test_transform(image)))
    row[0].set_title("test pipeline", fontsize=8)
    for ax in row[1:]:
        ax.imshow(to_display_image(train_transform(image)))
    row[1].set_title(f"'{preset}' training preset: seven random draws", fontsize=8, loc="left")
for ax in axes.ravel():
    ax.axis("off")
fig.suptitle(f"one '{CIFAR10_CLASSES[label]}' image through the pipelines (128 x 128)", fontsize=10)
fig.tight_layout()
fig.savefig(FIGURES / "nb00_augmentation.png", dpi=80, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## 5. Mixup: why the original did nothing, and a real one
#
# The original pipeline listed `paddlex.transforms.MixupImage` between RandomRotation and ToTensor. Mixup
# blends two images, x = λ·x₁ + (1 − λ)·x₂ (and their labels with the same λ), so it needs **two**
# samples. In PaddleX 2.x, `MixupImage.__call__(sample)` starts with
# `if not isinstance(sample, Sequence): return sample` — it only acts when the data loader hands it a
# pair of samples, which PaddleX's detection readers do. A classification pipeline calls every transform
# on **one** image, which is not a sequence:

# %%
from collections.abc import Sequence

one_sample = np.asarray(train_raw[0][0])            # what a per-image transform receives
print(type(one_sample).__name__, one_sample.shape, "| is a Sequence:", isinstance(one_sample, Sequence))
print("=> MixupImage returned it unchanged: the published results were obtained WITHOUT mixup")

# %% [markdown]
# So `ecapaddle` leaves it out of the `"notebook"` preset and offers real mixup where it belongs: on a
# **batch**, after the data loader. `mix_batch(images, labels, alpha, mode, rng)` draws λ ~ Beta(α, α),
# pairs every image with another one of the same batch (a random permutation) and returns the mixed
# images, both label sets and λ; the loss is then λ·L(y_a) + (1 − λ)·L(y_b) (`mixed_loss`). It also does
# CutMix (a pasted rectangle instead of a blend). Training uses it with `TrainConfig(mixup_alpha=...)`;
# it is off by default, as it effectively was in the original.

# %%
from ecapaddle.data.mixup import mix_batch

batch = np.stack([test_transform(train_raw[i][0]) for i in range(6)])
images = paddle.to_tensor(batch)
labels = paddle.to_tensor(train_raw.labels[:6])
fig, axes = plt.subplots(3, 6, figsize=(12, 6.4))
for row, mode in zip(axes[1:], ("mixup", "cutmix")):
    mixed, labels_a, labels_b, lam = mix_batch(images, labels, 1.0, mode, np.random.default_rng(0))
    print(f"{mode}: images {list(mixed.shape)}, lambda = {float(lam):.2f}")
    for ax, img, a, b in zip(row, mixed.numpy(), labels_a.numpy(), labels_b.numpy()):
        ax.imshow(to_display_image(img))
        ax.set_title(f"{mode}: {float(lam):.2f} {CIFAR10_CLASSES[a]}\n+ {1 - float(lam):.2f} {CIFAR10_CLASSES[b]}",
                     fontsize=8)
for ax, img, y in zip(axes[0], batch, labels.numpy()):
    ax.imshow(to_display_image(img))
    ax.set_title(f"original: {CIFAR10_CLASSES[y]}", fontsize=8)
for ax in axes.ravel():
    ax.axis("off")
fig.tight_layout()
fig.savefig(FIGURES / "nb00_mixup.png", dpi=80, bbox_inches="tight")
plt.show()

# %% [markdown]
# **Next:** notebook 01 explains ECA itself.

# %%
import shutil

shutil.rmtree(WORK, ignore_errors=True)              # the scratch directory: synthetic data, quick-mode figures, exports
