# Source of notebooks/06_eca_in_your_model.ipynb (percent format); rebuild with notebooks/build_notebooks.py.

# %% [markdown]
# # 06 · ECA in your own model
#
# ECA ([arXiv 1910.03151](https://arxiv.org/abs/1910.03151)) is a drop-in layer: it keeps the shape of
# its input, so it can go after any convolution or normalisation. This notebook adds it to networks from
# `paddle.vision.models` with `ecapaddle.models.add_attention`, checks what it costs, trains one briefly,
# exports it for inference with `paddle.jit.save` and runs the exported model.

# %%
import os
import sys
import tempfile
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="No ccache found")          # printed by paddle at import
warnings.filterwarnings("ignore", message="IProgress not found")      # tqdm.auto without ipywidgets; bars are off here
warnings.filterwarnings("ignore", message="When training, we now always track global mean")   # paddle BatchNorm notice
os.environ.setdefault("GLOG_minloglevel", "2")       # hide Paddle's C++ info/warning log lines (static-graph export is chatty)
QUICK = os.environ.get("ECAPADDLE_QUICK") == "1"    # quick mode: tiny synthetic data, seconds, nothing written into the repo
try:
    import ecapaddle                                 # first: it sets the CPU defaults before paddle loads
except ImportError:                                  # a clone that was not `pip install -e .`-ed (e.g. AI Studio)
    sys.path.insert(0, str(Path.cwd().parent))
    import ecapaddle
import matplotlib.pyplot as plt
import numpy as np
import paddle
import paddle.nn as nn

plt.rcParams["figure.dpi"] = 80
WORK = Path(tempfile.mkdtemp(prefix="ecapaddle-nb-"))     # scratch space, outside the repo: data, exported model
FIGURES = WORK if QUICK else Path("../figures")
FIGURES.mkdir(exist_ok=True)
print("mode:", "QUICK (tiny synthetic data, figures to a temporary directory)" if QUICK
      else "full (a short real-data run; figures saved under figures/)")

# %% [markdown]
# ## 1. Adding ECA to ResNet-18 and MobileNetV2
#
# `add_attention(model, kind, **options)` changes the model in place and returns it. It knows the blocks of
# `paddle.vision.models`: in ResNet blocks the layer goes after the last BatchNorm, before the residual
# addition; in MobileNetV2's inverted residual blocks after the projection BatchNorm (the paper's
# ECA-MobileNetV2, which uses k = 1 below 96 channels and k = 3 above: `mobilenet_v2_kernel_size`).
# Other kinds (`"se"`, `"se_var2"`, `"eca_ns"`, `"ema"`, ...) go to the same places.

# %%
# NBVAL_CHECK_OUTPUT
from paddle.vision.models import mobilenet_v2, resnet18

from ecapaddle import count_parameters
from ecapaddle.models import add_attention, mobilenet_v2_kernel_size

VARIANTS = {
    "ResNet-18": (resnet18, [("+ ECA (adaptive k)", "eca", {}), ("+ SE (r=16)", "se", {"reduction": 16})]),
    "MobileNetV2": (mobilenet_v2, [("+ ECA (adaptive k)", "eca", {}),
                                   ("+ ECA (paper: k=1 if C<96 else 3)", "eca", {"kernel_size": mobilenet_v2_kernel_size}),
                                   ("+ SE (r=16)", "se", {"reduction": 16})]),
}
for name, (build, variants) in VARIANTS.items():
    base = count_parameters(build(num_classes=10))
    print(f"{name} (10 classes): {base:,d} parameters")
    for label, kind, options in variants:
        model = add_attention(build(num_classes=10), kind, **options)
        places = model._ecapaddle_attention
        print(f"  {label:35s} +{count_parameters(model) - base:>9,d}  in {len(places)} places: "
              f"{places[0]}, ..., {places[-1]}")

# %% [markdown]
# ## 2. Any other model: tell it where
#
# For a model it does not know, pass `where=`: a list of sublayer names, or a predicate
# `(name, layer) -> channels | True | None`. Here: after every BatchNorm of a small custom network
# (`True` means "read the channel count from the layer").

# %%
# NBVAL_CHECK_OUTPUT
net = nn.Sequential(
    nn.Conv2D(3, 32, 3, padding=1), nn.BatchNorm2D(32), nn.ReLU(),
    nn.Conv2D(32, 64, 3, padding=1, stride=2), nn.BatchNorm2D(64), nn.ReLU(),
    nn.AdaptiveAvgPool2D(1), nn.Flatten(), nn.Linear(64, 10),
)
before = count_parameters(net)
add_attention(net, "eca", where=lambda name, layer: True if isinstance(layer, nn.BatchNorm2D) else None)
print(net)
net.eval()
print(f"parameters: {before:,d} -> {count_parameters(net):,d}; output {list(net(paddle.zeros([2, 3, 32, 32])).shape)}")

# %% [markdown]
# ## 3. Train ResNet-18 + ECA briefly
#
# `ecapaddle.models.create("resnet18_eca")` builds the same model by name (10 classes, random weights).
# ResNet-18 accepts the original 32 × 32 CIFAR images, so the transforms keep that size (`size=32`).
# This is a short demonstration run, not a benchmark.

# %%
from ecapaddle import seed_everything
from ecapaddle.data import build_transforms, cifar10_or_synthetic, load_cifar10, validate_cifar10_archive
from ecapaddle.engine import TrainConfig, train
from ecapaddle.models import create

# quick: a tiny synthetic archive; full: real CIFAR-10 (find_cifar10), or synthetic when none is found
archive, source = cifar10_or_synthetic(WORK, synthetic=QUICK, n_train=96 if QUICK else 2000,
                                       n_test=32 if QUICK else 500)
if QUICK:
    RUN = dict(train_subset=None, val_subset=None, epochs=1, batch_size=32, log_every=1)
else:
    RUN = dict(train_subset=2000, val_subset=500, epochs=2, batch_size=64, log_every=5)
print(source)
train_set = load_cifar10("train", archive, build_transforms("fast", train=True, size=32), subset=RUN["train_subset"])
val_set = load_cifar10("test", archive, build_transforms("fast", train=False, size=32), subset=RUN["val_subset"])

config = TrainConfig(epochs=RUN["epochs"], batch_size=RUN["batch_size"], log_every=RUN["log_every"], seed=0,
                     progress=False)
seed_everything(config.seed)
model = create("resnet18_eca")
history = train(model, train_set, val_set, config, model_name="resnet18_eca",
                data_info={"kind": validate_cifar10_archive(archive).kind, **RUN})
print(f"{'QUICK' if QUICK else 'REDUCED'} run: {len(train_set)} train / {len(val_set)} val images (32 x 32), "
      f"{RUN['epochs']} epoch(s)")
for e in history["epochs"]:
    print(f"epoch {e['epoch']}: train acc {e['train_acc']:.3f}, val acc {e['val_acc']:.3f}, "
          f"train {e['train_img_s']:.0f} img/s")

# %% [markdown]
# ## 4. Export for inference and run the exported model
#
# `ecapaddle.export.export_model` calls `paddle.jit.save` with an input spec [N, 3, 32, 32] (N free), in eval
# mode. The exported files need no Python class: `load_exported` (`paddle.jit.load`) or a Paddle Inference
# predictor runs them. We check that both give the dynamic model's outputs.

# %%
from ecapaddle.export import create_predictor, export_model, load_exported, run_predictor

prefix = WORK / "export" / "resnet18_eca"
files = export_model(model, prefix, input_shape=(None, 3, 32, 32))
print("exported:", ", ".join(f"{Path(f).name} ({Path(f).stat().st_size / 1e6:.1f} MB)" for f in files))

images = np.stack([val_set[i][0] for i in range(8)])
model.eval()
with paddle.no_grad():
    dynamic = model(paddle.to_tensor(images)).numpy()
exported = load_exported(prefix)(paddle.to_tensor(images)).numpy()
predicted = run_predictor(create_predictor(prefix), images)
print("jit.load  vs dynamic: max |difference| =", f"{np.abs(exported - dynamic).max():.1e}",
      "| same classes:", bool((exported.argmax(1) == dynamic.argmax(1)).all()))
print("predictor vs dynamic: max |difference| =", f"{np.abs(predicted - dynamic).max():.1e}",
      "| same classes:", bool((predicted.argmax(1) == dynamic.argmax(1)).all()))

# %% [markdown]
# ## 5. Predict image files
#
# `predict_images(model or exported prefix, paths, class_names)` reads image files with PIL, applies the
# test transform (resize, ToTensor, ImageNet normalisation) and returns the top-k classes. Here on a few
# test images written as PNG files; with `python -m ecapaddle predict` the same works from a shell.

# %%
from ecapaddle.data import CIFAR10_CLASSES
from ecapaddle.export import predict_images

raw = load_cifar10("test", archive, subset=RUN["val_subset"])
paths = []
for i in range(4):
    image, label = raw[i]
    paths.append(WORK / f"test_{i}_{CIFAR10_CLASSES[label]}.png")
    image.save(paths[-1])
for path, top in zip(paths, predict_images(prefix, paths, CIFAR10_CLASSES, topk=3, size=32)):
    print(f"{path.name:24s} -> " + ", ".join(f"{name} {p:.2f}" for name, p in top))

# %% [markdown]
# That is all ECA needs: one line to add it, a few dozen parameters, and the usual Paddle tools for the
# rest. For the honest question of whether it helps your model, train with and without it over several
# seeds, as notebooks 04 and 05 do.

# %%
import shutil

shutil.rmtree(WORK, ignore_errors=True)              # the scratch directory: synthetic data, quick-mode figures, exports
