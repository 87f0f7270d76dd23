# %% [markdown]
# # 06 · ECA in your own model · 把 ECA 加进你自己的模型
#
# ECA ([arXiv 1910.03151](https://arxiv.org/abs/1910.03151)) is a drop-in layer: it keeps the shape of
# its input, so it can go after any convolution or normalisation. This notebook adds it to networks from
# `paddle.vision.models` with `ecapaddle.models.add_attention`, checks what it costs, trains one briefly,
# exports it for inference with `paddle.jit.save` and runs the exported model.
#
# **本节你将学到：** 用 `ecapaddle.models.add_attention` 一行代码把 ECA（或 SE 等）加入 `paddle.vision.models`
# 中的网络（ResNet、MobileNetV2）以及你自己的网络；ECA 的参数代价；短暂训练一个 ResNet-18 + ECA；
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
# ### 4.1 What ECA costs at inference, and two free reorderings · 推理时 ECA 的代价与两个免费的重排
#
# ECA's arithmetic is negligible, but it reads the whole feature map once to pool it and once more to multiply
# it by the gates, and on the large early maps those passes cost time. Because every gate is positive, the
# multiply commutes with the ReLU and the max-pool that follow it in AlexNet (relu(x·g) = relu(x)·g,
# maxpool(x·g) = maxpool(x)·g, exactly in floating point). So `ecapaddle`'s AlexNet runs each stage as
# conv → max-pool → gate multiply → ReLU instead of conv → gate → ReLU → max-pool: the multiply and the ReLU then
# touch a 4.5× smaller map, and Paddle Inference fuses them into one oneDNN op ("gates_after_pooling", the
# order of exported models). A per-channel bias commutes with max-pooling too (maxpool(x + b) = maxpool(x) + b), and
# in dynamic mode Paddle adds a conv's bias as a separate, slow pass over the big map; so for training the model
# also adds the bias after the max-pool ("bias_after_pooling", training 12-16 % faster on CPU; the gate then averages
# the conv output and adds the bias to the mean). While hooks are registered on any feature layer, the layers run
# in their own order so that the hooks see them. Same numbers, less memory traffic (`AlexNet.forward_features`;
# the benchmark measured the effect, printed below when the repository's `benchmarks/` folder is next to this
# notebook).
#
# 因为门控值都是正数，乘法可以与其后的 ReLU、最大池化交换顺序，结果逐位相同；ecapaddle 的 AlexNet 因此先池化再乘门控，
# 乘法与 ReLU 只作用在小 4.5 倍的特征图上，并被 Paddle Inference 融合成一个 oneDNN 算子。按通道的偏置同样可以与最大池化交换，
# 动态图训练时模型把卷积偏置也放到池化之后再加（CPU 上训练快 12-16 %）。

# %%
import json

from ecapaddle import AlexNetECA

alexnet_eca = AlexNetECA()
alexnet_eca.eval()
x = paddle.randn([2, 3, 128, 128])
with paddle.no_grad():
    in_place = alexnet_eca.forward_features(x, "layers")
    gates_after = alexnet_eca.forward_features(x, "gates_after_pooling")
    bias_after = alexnet_eca.forward_features(x, "bias_after_pooling")
print("conv, gate, ReLU, max-pool == conv, max-pool, gate, ReLU, bit for bit:", bool((in_place == gates_after).all()))
print("... == conv without bias, max-pool, + bias, gate, ReLU: max |difference| =",
      f"{float((in_place - bias_after).abs().max()):.1e}")

measured = Path("../benchmarks/results/placement_t1.json")
if measured.is_file():
    report = json.loads(measured.read_text())
    machine = f"{report['predictor']['threads']} thread(s), {report['environment']['cpu']['model']}"
    for name, stats in report["predictor"]["eca_overhead_eval"].items():
        print(f"ECA's cost through Paddle Inference, {name.split(':')[1]:20s} {100 * stats['median']:+5.1f} % "
              f"(median of {len(stats['repeats'])} interleaved repeats, {machine}; benchmarks/README.md)")
orders = Path("../benchmarks/results/order_t1.json")
if orders.is_file():
    report = json.loads(orders.read_text())
    img_s = {name: stats["train_img_s"]["median"] for name, stats in report["models"].items()}
    machine = f"{report['options']['threads']} thread(s), batch {report['options']['batch_size']}"
    for old_order, new_order in (("alexnet:layers", "alexnet:bias_after_pooling"),
                                 ("alexnet_eca:gates_after_pooling", "alexnet_eca:bias_after_pooling")):
        print(f"training {old_order:32s} {img_s[old_order]:6.1f} img/s -> bias after pooling "
              f"{img_s[new_order]:6.1f} img/s ({machine}, {report['environment']['cpu']['model']})")

# %% [markdown]
# One more identity, for training. A convolution is linear, so the spatial mean of its output, which the gate needs,
# can be computed from its input: mean(conv(x))[o] = bias[o] + sum over c, u, v of weight[o, c, u, v] * taps[c, u, v],
# where taps[c, u, v] is the mean of the (zero-padded) input pixels that kernel tap (u, v) meets over all output
# positions. In stage 1 the input is the image batch, which needs no gradient: taking the mean this way spares the
# gate's gradient pass over the largest conv output ([N, 48, 32, 32]), so while training AlexNet does it for stage 1
# (ECA's training overhead with 1 thread in the benchmark: +3.0 to +3.8 % before, +2.2 to +2.5 % after;
# benchmarks/README.md).
# Built here from slices and checked against the conv's own output:
#
# 卷积是线性的，所以门控需要的"卷积输出的空间均值"也可以直接由输入算出：每个卷积核位置 (u, v) 在所有输出位置上看到的输入像素取均值，
# 再与权重相乘求和，加上偏置。第一阶段的输入是图像本身，不需要梯度；训练时 AlexNet 这样计算第一阶段的均值，
# 门控的梯度就不必再流过最大的那张卷积输出特征图。下面用切片从头实现一遍，并与卷积输出的均值对照：

# %%
conv1 = alexnet_eca.features[0]
kernel, stride, padding = conv1.weight.shape[-1], conv1._stride[0], conv1._padding
padded = paddle.nn.functional.pad(x, [padding] * 4)
outputs = (padded.shape[-1] - kernel) // stride + 1
taps = paddle.stack([paddle.stack([padded[:, :, u:u + stride * outputs:stride, v:v + stride * outputs:stride]
                                   .mean(axis=[2, 3]) for v in range(kernel)], axis=-1) for u in range(kernel)],
                    axis=-2)                                                        # [N, 3, 11, 11]
mean_from_images = paddle.einsum("ncuv,ocuv->no", taps, conv1.weight) + conv1.bias  # [N, 48]
with paddle.no_grad():
    mean_of_conv_output = conv1(x).mean(axis=[2, 3])
print(f"{outputs} x {outputs} conv outputs; mean from the images vs mean of conv1(x): max |difference| = "
      f"{float((mean_from_images - mean_of_conv_output).abs().max()):.1e}")

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
# - A model with ECA trains, exports (`paddle.jit.save`) and runs under Paddle Inference like any other; in the
#   AlexNet of `ecapaddle` the gates multiply the pooled maps (exact, since gates are positive), which removes most
#   of ECA's cost.
#
# **本节小结：** `add_attention(model, "eca")` 按论文的位置把 ECA 加进 `paddle.vision.models` 的网络（ResNet：
# 残差块最后一个 BatchNorm 之后、相加之前；MobileNetV2：投影 BatchNorm 之后），`where=` 参数可用于任何其他模型。
# 每个 ECA 层只有 k 个参数，整个 ResNet-18 只多几十个参数，而 SE 要多几万个（见第 1 节）。加了 ECA 的模型可以照常训练、
# 用 `paddle.jit.save` 导出，并用 Paddle Inference 运行。

# %%
setup.cleanup()
