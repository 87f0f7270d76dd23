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
setup = course.setup(MODE, recipe=RECIPE)            # warnings, plots, CPU threads, a scratch directory
import matplotlib.pyplot as plt
import numpy as np
import paddle
import paddle.nn as nn

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
# `add_attention` 直接修改模型：ResNet 中放在残差块最后一个 BatchNorm 之后、相加之前；MobileNetV2 中放在投影
# BatchNorm 之后。下面比较 ECA 与 SE 增加的参数个数。

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
# What kernel size does each stage get, and what does ECA cost in computation? Below, for one 224 × 224 image:
# the multiply-adds of the convolutions and FC layers (counted by forward hooks from each layer's weight shape
# and output size) against those of the ECA layers: the average pool (one add per element of the feature
# map), the 1-D convolution (C·k) and the scaling (one multiply per element). Few multiply-adds are not
# little time: the pool and the scaling read and write the whole feature map (`python -m ecapaddle bench`
# measures ECA's time overhead in AlexNet, benchmarks/README.md).
# 每个阶段得到的卷积核大小 k，以及 ECA 的计算代价（对一张 224 × 224 图像按乘加次数统计）：
# 卷积层和全连接层的乘加数与 ECA 层（平均池化、1-D 卷积 C·k、逐通道缩放）的乘加数之比。

# %%
# NBVAL_CHECK_OUTPUT
from collections import Counter

from ecapaddle import ECA


def multiply_adds(model, size=224):
    """{"conv + fc": ..., "ECA": ...} multiply-adds of one [1, 3, size, size] image through `model`."""
    counts = Counter()

    def count(layer, inputs, output):
        if isinstance(layer, nn.Conv2D):
            out_channels, in_per_group, kh, kw = layer.weight.shape
            counts["conv + fc"] += output.size * in_per_group * kh * kw
        elif isinstance(layer, nn.Linear):
            counts["conv + fc"] += layer.weight.size
        else:
            counts["ECA"] += 2 * inputs[0].size + layer.channels * layer.kernel_size

    hooks = [layer.register_forward_post_hook(count) for layer in model.sublayers()
             if isinstance(layer, (nn.Conv2D, nn.Linear, ECA))]
    model.eval()
    with paddle.no_grad():
        model(paddle.zeros([1, 3, size, size]))
    for hook in hooks:
        hook.remove()
    return counts


for name, build in [("ResNet-18", resnet18), ("MobileNetV2", mobilenet_v2)]:
    model = add_attention(build(num_classes=10), "eca")
    stages = Counter((layer.channels, layer.kernel_size) for layer in model.sublayers() if isinstance(layer, ECA))
    macs = multiply_adds(model)
    print(f"{name} + ECA (adaptive k): " + ", ".join(f"{n} x (C={c}, k={k})" for (c, k), n in sorted(stages.items())))
    print(f"  multiply-adds: conv + fc {macs['conv + fc'] / 1e6:,.1f} M, ECA {macs['ECA'] / 1e6:.3f} M "
          f"({100 * macs['ECA'] / macs['conv + fc']:.2f} %)")

# %% [markdown]
# ## 2. Any other model: tell it where · 任意模型：指定位置
#
# For a model it does not know, pass `where=`: a list of sublayer names, or a predicate
# `(name, layer) -> channels | True | None`. Here: after every BatchNorm of a small custom network
# (`True` means "read the channel count from the layer").
# 对 `add_attention` 不认识的模型，用 `where=` 指定位置：子层名称的列表，或一个判断函数。

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
# 这只是一个随机种子的演示训练，不是性能评测；训练预算由所选模式决定（见开头的输出）。

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
# 导出的文件不需要 Python 类即可运行；我们检查 `paddle.jit.load` 和 Paddle Inference 的输出与动态图模型一致。

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
# `predict_images` 读取图片文件、做测试集预处理并返回前 k 个类别；命令行 `python -m ecapaddle predict` 也可以。

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
# 加入 ECA 只需一行代码、几十个参数；它是否真的对你的模型有帮助，要像第 04、05 节那样用多个随机种子比较。

# %% [markdown]
# ## 6. Exercises · 练习
#
# Replace each `...` with your answer (code, a prediction or a number), then run the check cell below it. A check
# asserts: a wrong answer stops with an `AssertionError`; an unanswered one only says so. Solutions:
# `notebooks/solutions.md`.
#
# **练习说明：** 把每个 `...` 换成你的答案（代码、预测或数字），再运行下面的检查单元；答错会抛出 `AssertionError`。

# %%
import paddle.nn.functional as F

from ecapaddle import course, eca_kernel_size

# %% [markdown]
# **Exercise 1 (ECA for a 1-D signal).** Your model works on sequences, [N, C, L] (audio, sensor data, text
# embeddings), not on images. Write the layer `MyECA1D(channels)` for such inputs: its sub-layer `conv` is a
# `nn.Conv1D(1, 1, k)` without bias, k from `eca_kernel_size(channels)`, with the zero padding that keeps C
# channels, and `forward` pools over L, convolves across the channels, applies the sigmoid and multiplies. Because
# the sub-layer has the same name and shape as `ecapaddle.ECA`'s, the check loads an `ECA(C)` state dict into
# yours for C = 16, 64 and 256 and counts the output elements that equal `ECA`'s on [N, C, L] inputs.
# **练习 1（一维信号的 ECA）：** 假设你的模型处理的不是图像，而是形状为 [N, C, L] 的序列（音频、传感器数据、文本嵌入）。
# 为这样的输入写一个层 `MyECA1D(channels)`：它的子层 `conv` 是不带偏置的 `nn.Conv1D(1, 1, k)`，k 由
# `eca_kernel_size(channels)` 给出，零填充的大小要使输出仍是 C 个通道；`forward` 先在 L 上池化，再沿通道方向卷积，
# 然后做 sigmoid，最后相乘。由于这个子层与 `ecapaddle.ECA` 的子层名称和形状都相同，检查单元对 C = 16、64 和 256
# 分别把 `ECA(C)` 的参数（state dict）加载到你的层中，在 [N, C, L] 输入上统计你的输出中与 `ECA` 输出相等的元素个数。

# %%
class MyECA1D(nn.Layer):
    """ECA for sequences: x [N, C, L] -> x * gate [N, C, L], the kernel size from the adaptive rule."""

    def __init__(self, channels):
        super().__init__()
        self.conv = ...   # your code: Conv1D(1, 1, k) across the channels, no bias, padding that keeps C

    def forward(self, x):
        return ...   # your code


# %%
paddle.seed(3)
signals = {channels: paddle.randn([2, channels, 50]) for channels in (16, 64, 256)}     # [N, C, L]
total = sum(int(np.prod(signal.shape)) for signal in signals.values())
equal = ... if MyECA1D(16).conv is ... else 0
for channels, signal in signals.items():
    if equal is ...:
        break
    reference, mine = ECA(channels), MyECA1D(channels)
    mine.set_state_dict(reference.state_dict())
    equal += int(np.isclose(mine(signal).numpy(), reference(signal).numpy(), rtol=1e-5, atol=1e-6).sum())
course.check(equal, total, f"Exercise 1: elements of your 1-D ECA's outputs equal to ECA's (of {total})", tolerance=0)

# %% [markdown]
# **Exercise 2 (change one thing, predict, then run).** Tile a batch of feature maps 2 × 2, so that every map of
# 8 × 8 becomes four copies of itself side by side, 16 × 16 (`paddle.tile(x, [1, 1, 2, 2])`). Does an ECA layer give
# the tiled maps the same gates as the original ones? Answer `True` or `False` before running the check, which
# compares the gates of `ECA(64)` (`layer.attention(x)`, [N, C, 1, 1]). What does your answer say about the image
# sizes a model with ECA accepts?
# **练习 2（改一处，先预测再运行）：** 把一个批次的特征图按 2 × 2 平铺，使每张 8 × 8 的特征图变成由它自己的四个副本
# 拼成的 16 × 16 特征图（`paddle.tile(x, [1, 1, 2, 2])`）。ECA 层给平铺后的特征图的门控与给原特征图的相同吗？
# 请在运行检查单元之前回答 `True` 或 `False`；检查单元比较 `ECA(64)` 的门控（`layer.attention(x)`，形状
# [N, C, 1, 1]）。你的答案说明带 ECA 的模型能接受什么尺寸的图像？

# %%
same_gates_when_tiled = ...   # your answer: True or False

# %%
paddle.seed(4)
layer, maps = ECA(64), paddle.randn([2, 64, 8, 8])
gates, tiled_gates = layer.attention(maps).numpy(), layer.attention(paddle.tile(maps, [1, 1, 2, 2])).numpy()
course.check(same_gates_when_tiled, bool(np.allclose(gates, tiled_gates, rtol=1e-5, atol=1e-6)),
             "Exercise 2: the same gates for 2 x 2 tiled feature maps")

# %% [markdown]
# **Exercise 3 (by hand).** How many parameters does ECA (adaptive k) add to a ResNet-34? ResNet-34 has 3, 4, 6
# and 3 BasicBlocks with 64, 128, 256 and 512 output channels, and `add_attention` puts one ECA in every block;
# work out k = ψ(C) for each width first. The check counts the parameters of `create("resnet34_eca")` and
# `create("resnet34")`.
# **练习 3（手算）：** ECA（自适应 k）给 ResNet-34 增加多少个参数？ResNet-34 依次有 3、4、6、3 个 BasicBlock，
# 输出通道数分别为 64、128、256、512，`add_attention` 在每个残差块中放一个 ECA；先算出每种通道数对应的 k = ψ(C)。
# 检查单元统计 `create("resnet34_eca")` 和 `create("resnet34")` 的参数个数并相减。

# %%
eca_params_resnet34 = ...   # your answer: an int

# %%
course.check(eca_params_resnet34, count_parameters(create("resnet34_eca")) - count_parameters(create("resnet34")),
             "Exercise 3: parameters of create('resnet34_eca') minus create('resnet34')")

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
# - The same layer works on sequences [N, C, L] (exercise 1): only the pooling axes change.
#
# **本节小结：** `add_attention(model, "eca")` 按论文的位置把 ECA 加进 `paddle.vision.models` 的网络（ResNet：
# 残差块最后一个 BatchNorm 之后、相加之前；MobileNetV2：投影 BatchNorm 之后），`where=` 参数可用于任何其他模型。
# 每个 ECA 层只有 k 个参数，整个 ResNet-18 只多几十个参数，而 SE 要多几万个（见第 1 节）。不安装本包时，可以直接复制
# `examples/eca.py`，它与 `ecapaddle.ECA` 的参数可以互相加载（第 2.1 节）。加了 ECA 的模型可以照常训练、
# 用 `paddle.jit.save` 导出，并用 Paddle Inference 运行。同一个层也适用于 [N, C, L] 形状的序列（练习 1）：
# 只需改变池化的维度。

# %%
setup.cleanup()
