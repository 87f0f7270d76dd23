# %% [markdown]
# # 06 · ECA in your own model · 把 ECA 加进你自己的模型
#
# ECA ([arXiv 1910.03151](https://arxiv.org/abs/1910.03151)) is a drop-in layer: it keeps the shape of
# its input, so it can go after any convolution or normalisation. This notebook adds it to networks from
# `paddle.vision.models` with `ecapaddle.models.add_attention`, checks what it costs, shows a self-contained
# ECA layer to copy into a project without `ecapaddle`, trains one model briefly, exports it for inference with
# `paddle.jit.save` and runs the exported model.
#
# **本节你将学到：** 用 `ecapaddle.models.add_attention` 一行代码把 ECA（或 SE 等）加入 `paddle.vision.models`
# 中的网络（ResNet、MobileNetV2）以及你自己的网络；ECA 的参数代价；不依赖本包、可以直接复制的 ECA 层（`examples/eca.py`）；
# 短暂训练一个 ResNet-18 + ECA；
# 用 `paddle.jit.save` 导出模型，并用 `paddle.jit.load` 和 Paddle Inference 运行导出的模型、预测图片文件。

# %% [markdown]
# **Choose the mode · 选择模式.** `"quick"`: a tiny synthetic archive, seconds (what the tests run); `"cpu"`: a
# short real-data run (2,000 training images, 2 epochs); `"full"`: the original notebook's data and budget
# (50,000 images, 50 epochs) for ResNet-18 + ECA at 32 px, for a GPU. Only section 3 trains.

# %%
import os
MODE = os.environ.get("ECAPADDLE_MODE", "quick")  # "quick" | "cpu" | "full"

# %%
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="IProgress not found")      # tqdm.auto without ipywidgets; bars are off here
warnings.filterwarnings("ignore", message="When training, we now always track global mean")   # paddle BatchNorm notice
os.environ.setdefault("GLOG_minloglevel", "2")       # hide Paddle's C++ info/warning log lines (static-graph export is chatty)
try:
    import ecapaddle
except ImportError:                                  # a clone that was not `pip install -e .`-ed (e.g. AI Studio)
    sys.path.insert(0, str(Path.cwd().parent))
    import ecapaddle
from ecapaddle import course

setup = course.setup(MODE)                           # warnings, plots, CPU threads, a scratch directory
import matplotlib.pyplot as plt
import numpy as np
import paddle
import paddle.nn as nn

from ecapaddle.recipes import get_recipe

BUDGETS = {                                              # section 3's training budget in each mode
    "quick": get_recipe("quick", epochs=1),
    "cpu": get_recipe("cpu", train_subset=2000, val_from="test", val_subset=500, epochs=2, batch_size=64,
                      transforms="fast"),
    "full": get_recipe("full"),
}
if MODE not in BUDGETS:
    raise ValueError(f"MODE must be one of {', '.join(BUDGETS)}, got {MODE!r}")
RECIPE = BUDGETS[MODE]
QUICK = MODE == "quick"
WORK = setup.work                                         # scratch space outside the repo
print(f"mode: {MODE}; everything this notebook writes goes to a temporary work directory, nothing into the repository")
print(RECIPE.describe())

# %% [markdown]
# ## 1. Adding ECA to ResNet-18 and MobileNetV2 · 给 ResNet-18 和 MobileNetV2 加 ECA
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
# ## 2. Any other model: tell it where · 任意模型：指定位置
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
# ### 2.1 Without the package: an ECA layer to copy · 不依赖本包：一个可以直接复制的 ECA 层
#
# `ecapaddle.ECA` checks its input, takes 1-D to 3-D feature maps and offers circular padding. For a project that
# does not install `ecapaddle`, the repository's `examples/eca.py` is the same layer in a few lines of plain
# Paddle (pool, Conv1D across the channels, sigmoid, multiply; the kernel size from the paper's adaptive rule, as
# in notebook 01) for [N, C, H, W] maps: copy the file next to your model and `from eca import ECA`. Its
# convolution is also the sub-layer `conv`, a `Conv1D(1, 1, k)` without bias, so a state dict saved from one
# loads into the other. The file, then a check in both directions, and the class given to `add_attention`:
#
# 不想安装 `ecapaddle` 时，可以直接复制仓库中的 `examples/eca.py`：只用 Paddle 写成的同一个 ECA 层。它的一维卷积同样名为 `conv`，
# 所以两者的参数（state dict）可以互相加载。下面先打印这个文件，再把它与 `ecapaddle.ECA` 的输出逐一对照。

# %%
eca_file = Path("..") / "examples" / "eca.py"        # notebooks/ is the working directory; examples/ is next to it
print(eca_file.read_text(encoding="utf-8"))

# %%
# NBVAL_CHECK_OUTPUT
import runpy

from ecapaddle import ECA

CopiedECA = runpy.run_path(str(eca_file))["ECA"]     # the class, as `from eca import ECA` gives it after copying
for channels in (48, 128, 512):
    x = paddle.randn([2, channels, 8, 8])
    ours = ECA(channels)
    copied = CopiedECA(channels)
    copied.set_state_dict(ours.state_dict())          # ecapaddle -> copy
    there = float((copied(x) - ours(x)).abs().max())
    copied = CopiedECA(channels)                      # fresh random weights
    ours.set_state_dict(copied.state_dict())          # copy -> ecapaddle
    back = float((ours(x) - copied(x)).abs().max())
    print(f"C = {channels:3d}, k = {ours.kernel_size}, state dict {list(copied.state_dict())}: "
          f"same outputs both ways: {there < 1e-6 and back < 1e-6}")

copied_resnet = add_attention(resnet18(num_classes=10), CopiedECA)   # a class works as add_attention's `kind` too
print(f"ResNet-18 + the copied ECA: +{count_parameters(copied_resnet) - count_parameters(resnet18(num_classes=10))} "
      f"parameters, as with \"eca\" in section 1")

# %% [markdown]
# ## 3. Train ResNet-18 + ECA briefly · 短暂训练 ResNet-18 + ECA
#
# `ecapaddle.models.create("resnet18_eca")` builds the same model by name (10 classes, random weights).
# ResNet-18 accepts the original 32 × 32 CIFAR images, so the transforms keep that size (`size=32`).
# This is a demonstration run of one seed, not a benchmark; its budget is the mode's (printed at the top).

# %%
from ecapaddle import seed_everything
from ecapaddle.data import (cifar10_or_synthetic, is_synthetic, load_cifar10, load_cifar10_holdout,
                            load_cifar10_splits)
from ecapaddle.engine import train
from ecapaddle.models import create

archive, source = cifar10_or_synthetic(WORK, synthetic=RECIPE.synthetic, n_train=RECIPE.synthetic_train or 1000,
                                       n_test=RECIPE.synthetic_test or 500)
print(source)
if RECIPE.val_from == "train":
    train_set, val_set, _ = load_cifar10_holdout(archive, RECIPE.transforms, RECIPE.train_subset,
                                                 RECIPE.val_subset or 5000, size=32)
else:
    train_set, val_set = load_cifar10_splits(archive, RECIPE.transforms, RECIPE.train_subset, RECIPE.val_subset,
                                             size=32)

config = RECIPE.train_config(seed=0, progress=not QUICK, log_every=1 if QUICK else 10)
seed_everything(config.seed)
model = create("resnet18_eca")
history = train(model, train_set, val_set, config, model_name="resnet18_eca",
                data_info={"kind": "SYNTHETIC" if is_synthetic(archive) else "real CIFAR-10",
                           "transforms": RECIPE.transforms, "val_source": RECIPE.val_from})
print(f"mode {MODE}{' (SYNTHETIC data, numbers meaningless)' if is_synthetic(archive) else ''}: {len(train_set)} "
      f"train / {len(val_set)} val images (32 x 32), {config.epochs} epoch(s), seed {config.seed}")
for e in history["epochs"]:
    print(f"epoch {e['epoch']}: train acc {e['train_acc']:.3f}, val acc {e['val_acc']:.3f}, "
          f"train {e['train_img_s']:.0f} img/s")

# %% [markdown]
# ## 4. Export for inference and run the exported model · 导出并运行推理模型
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
# ## 5. Predict image files · 预测图片文件
#
# `predict_images(model or exported prefix, paths, class_names)` reads image files with PIL, applies the
# test transform (resize, ToTensor, ImageNet normalisation) and returns the top-k classes. Here on a few
# test images written as PNG files; with `python -m ecapaddle predict` the same works from a shell.

# %%
from ecapaddle.data import CIFAR10_CLASSES
from ecapaddle.export import predict_images

raw = load_cifar10("test", archive)
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

# %% [markdown]
# ## 6. Exercises · 练习
#
# Replace each `...` with your answer, then run the check cell below it. A check asserts: a wrong answer stops
# with an `AssertionError`; an unanswered one only says so. Solutions: `notebooks/solutions.md`.

# %%
from ecapaddle import course

# %% [markdown]
# **Exercise 1.** How many parameters does ECA (adaptive k) add to a ResNet-34? By hand: ResNet-34 has 3, 4, 6
# and 3 BasicBlocks with 64, 128, 256 and 512 output channels, one ECA per block; k = ψ(C) as in notebook 01.

# %%
eca_params_resnet34 = ...   # your answer: an int

# %%
course.check(eca_params_resnet34, count_parameters(create("resnet34_eca")) - count_parameters(create("resnet34")),
             "Exercise 1: parameters of create('resnet34_eca') minus create('resnet34')")

# %% [markdown]
# **Exercise 2.** In a ResNet BasicBlock, after which sublayer does `add_attention` put ECA? Give the sublayer's
# name in the block (e.g. `"conv1"`), and say why it is not after the residual addition.

# %%
eca_after = ...   # your answer: a sublayer name of the block (a str)

# %%
first_place = add_attention(resnet18(num_classes=10), "eca")._ecapaddle_attention[0]     # e.g. "layer1.0.<name>.1"
course.check(eca_after, first_place.split(".")[2], "Exercise 2: the third part of the first name in "
             "`model._ecapaddle_attention`")

# %% [markdown]
# **Exercise 3.** Section 2 put ECA after the two BatchNorms (32 and 64 channels) of the small network. How many
# parameters did that add? Work out k for C = 32 and C = 64 with the adaptive rule first.

# %%
small_net_extra = ...   # your answer: an int

# %%
course.check(small_net_extra, count_parameters(net) - before,
             "Exercise 3: the parameter count of section 2's network after minus before")

# %% [markdown]
# ## Summary · 本节小结
#
# - `add_attention(model, "eca")` adds ECA where the paper puts it in `paddle.vision.models` networks (ResNet:
#   after the block's last BatchNorm, before the addition; MobileNetV2: after the projection BatchNorm); `where=`
#   places it in any other model.
# - It costs k parameters per layer: tens of parameters for a whole ResNet-18, against tens of thousands for SE
#   (section 1 counts both).
# - Without the package, `examples/eca.py` is the same layer in plain Paddle, to copy; its state dicts load into
#   `ecapaddle.ECA` and back (section 2.1).
# - A model with ECA trains, exports (`paddle.jit.save`) and runs under Paddle Inference like any other.
#
# **本节小结：** `add_attention(model, "eca")` 按论文的位置把 ECA 加进 `paddle.vision.models` 的网络（ResNet：
# 残差块最后一个 BatchNorm 之后、相加之前；MobileNetV2：投影 BatchNorm 之后），`where=` 参数可用于任何其他模型。
# 每个 ECA 层只有 k 个参数，整个 ResNet-18 只多几十个参数，而 SE 要多几万个（见第 1 节）。不安装本包时，可以直接复制
# `examples/eca.py`，它与 `ecapaddle.ECA` 的参数可以互相加载（第 2.1 节）。加了 ECA 的模型可以照常训练、
# 用 `paddle.jit.save` 导出，并用 Paddle Inference 运行。

# %%
setup.cleanup()
