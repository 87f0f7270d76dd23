# %% [markdown]
# # 03 · AlexNet-ECA · 加入 ECA 的 AlexNet
#
# The same AlexNet as in notebook 02, with an ECA layer ([arXiv 1910.03151](https://arxiv.org/abs/1910.03151))
# after each of its five convolutions. This notebook shows where the layers go and why, trains the
# network live, and looks at what the attention learned: which channels each stage favours, and how much
# the gates change from image to image and from class to class.
#
# **本节你将学到：** ECA 在 AlexNet 中的位置（卷积之后、ReLU 之前）以及在 ResNet 中的位置（残差相加之前）；
# 用所选模式（quick / cpu / full）现场训练 AlexNet-ECA；逐图像、逐类别地观察每一级 ECA 门控的变化，
# 区分"固定的通道缩放"和"随输入变化的注意力"；以及未训练时 ECA 门控约为 0.5 带来的尺度效应。

# %% [markdown]
# **Choose the mode · 选择模式.** `"quick"`: a tiny synthetic archive, seconds (what the tests run);
# `"cpu"`: real CIFAR-10, 10,000 training images, 8 epochs (the committed runs in `figures/paired/` took
# 17-32 minutes per model, one thread each, two side by side on 2 cores);
# `"full"`: the original notebook's recipe (50,000 images, 50 epochs), for a GPU. Edit the line below.

# %%
import os
MODE = os.environ.get("ECAPADDLE_MODE", "quick")  # "quick" | "cpu" | "full"

# %%
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="IProgress not found")   # tqdm without ipywidgets: text bars instead
try:
    import ecapaddle
except ImportError:                                  # a clone that was not `pip install -e .`-ed (e.g. AI Studio)
    sys.path.insert(0, str(Path.cwd().parent))
    import ecapaddle
from ecapaddle import course

setup = course.setup(MODE)                           # warnings, plots, threads, where runs and figures go
import matplotlib.pyplot as plt
import numpy as np
import paddle
from IPython.display import Markdown, display

QUICK = setup.quick

# %% [markdown]
# ## 1. Where ECA goes in AlexNet · ECA 在 AlexNet 中的位置
#
# In the original notebook each stage is Conv2D → **ECA** → ReLU (→ MaxPool). AlexNet has no
# BatchNorm, so this is the spot that matches the paper's "after the last normalisation, before the
# non-linearity": the gate sees the signed pre-activations, whose channel means can be positive or
# negative, and scales them before ReLU cuts the negative part. (Notebook 05 measures the alternative,
# after ReLU.) The kernel sizes are the notebook's (3, 3, 5, 5, 3), not the adaptive rule's.
# AlexNet 没有 BatchNorm，所以 ECA 放在卷积之后、ReLU 之前：门控看到的是有正有负的卷积输出。

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
# ## 2. Where ECA goes in a residual network · ECA 在残差网络中的位置
#
# In ResNets the paper puts ECA at the end of the residual branch: after the block's last BatchNorm and
# **before the addition** of the shortcut. The gate then rescales only what the block adds, and the
# identity path stays untouched, so a block can still pass its input through (the same spot as SE).
# `ecapaddle.models.add_attention` finds these places in `paddle.vision.models` networks; here is one
# block of a ResNet-18 before and after (its `bn2` becomes `Sequential(bn2, ECA)`).
# 在 ResNet 中，ECA 放在残差分支最后一个 BatchNorm 之后、与捷径相加之前，只缩放残差分支：

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
# ## 3. A live run · 现场训练
#
# 按所选模式的训练配方训练一次 AlexNet-ECA（一个随机种子）；`cpu` / `full` 的运行保存在 `runs/<mode>/`，中断后可继续，
# 训练完成后在这里和 04 中直接复用。多个种子的比较见第 04 节。
#
# The recipe of the chosen mode (printed at the top). In `cpu` and `full` mode the run is kept in the
# repository's `runs/<mode>/alexnet_eca-seed42`: a kernel restart resumes it, and a finished run is reused
# (here and in notebook 04) instead of trained again. With `cpu` the validation images are held out of the training split and the
# test split is evaluated once at the end; `full` validates on the test split, as the original notebook did.
# Notebook 04 compares AlexNet and AlexNet-ECA over several seeds; this is one run of one model.

# %%
from ecapaddle import seed_everything
from ecapaddle.plots import plot_learning_curves

SEED = 42
runs = course.live_run(["alexnet_eca"], setup.recipe, seeds=[SEED], runs_dir=setup.runs)
model, history = runs.model("alexnet_eca"), runs.history("alexnet_eca")
train_set, val_set = runs.train_set, runs.val_set
SYNTHETIC = setup.recipe.synthetic
LABEL = f"MODE '{MODE}'" + (", SYNTHETIC data: barely trained, numbers meaningless" if SYNTHETIC else "")
plot_learning_curves([history], setup.figure("nb03_alexnet_eca_curves.png"),
                     title=f"AlexNet-ECA ({LABEL}): {len(train_set)} train / {len(val_set)} val images, "
                           f"{setup.recipe.epochs} epoch(s), seed {SEED}")
plt.show()

# %% [markdown]
# ## 4. What the attention learned: the average gate · 平均门控
#
# For each ECA stage: the learned kernel (k weights shared by all channels, left) and the mean gate
# sigmoid(conv(pool(x))) of every channel over a batch of validation images (right), with the weights of
# the run above (its last epoch). A flat gate would mean "every channel weighted alike"; the spread over
# channels shows how strongly a stage reweights its channels *on average*.
# 左图为每一级学到的卷积核（k 个权重，所有通道共享），右图为每个通道在一批验证集图像上的平均门控。

# %%
from ecapaddle.plots import eca_attention_weights, plot_eca_weights

images = paddle.to_tensor(np.stack([val_set[i][0] for i in range(min(64, len(val_set)))]))
print(f"weights: the live run above ({LABEL}), {setup.recipe.epochs} epoch(s)")
plot_eca_weights(model, images, setup.figure("nb03_eca_weights.png"))
plt.show()
for name, kernel, gate in eca_attention_weights(model, images):
    print(f"{name:12s} kernel [{', '.join(f'{w:+.2f}' for w in kernel)}]  gate over channels: "
          f"mean {gate.mean():.2f}, std {gate.std():.3f}, min {gate.min():.2f}, max {gate.max():.2f}")

# %% [markdown]
# ## 5. From image to image, from class to class · 门控随图像和类别的变化
#
# An average hides what attention is for. ECA computes a new gate vector for every image, from that image's
# channel means: if the gates barely change between images, the layer is a learned but *fixed* rescaling of
# the channels (exercise 3 asks whether that needs a layer at all); if they change, and change with the class,
# the layer is doing input-dependent attention. `ecapaddle.gates.gate_statistics` records the gate of every
# channel for every image and summarises each stage:
#
# - **channel spread** (通道间离散度): std over channels of the mean gate — the fixed, average reweighting;
# - **image spread** (图像间离散度): std over images of a channel's gate, averaged over channels — how much the
#   gates move;
# - **class spread** (类别间离散度): std over classes of the per-class mean gates — how different the class
#   profiles are;
# - **class share** (类别解释比例): the part of the image-to-image variance that the class explains (eta squared).
#   Even random gates get about (classes − 1) / (images − 1), the *floor* in brackets.
#
# ECA 为每张图像重新计算门控。如果门控几乎不随图像变化，这一层只是固定的通道缩放；如果门控随图像、并且随类别变化，
# 它才是依赖输入的注意力。上面四个量分别衡量这几种情况；类别解释比例要和它的随机下限（括号中）比较。
#
# The same statistics of the untrained network (same seed, before training) are the reference: what the
# gates do before learning anything. 未训练网络（同一随机种子）的同样统计量作为参照。

# %%
from ecapaddle.data import CIFAR10_CLASSES
from ecapaddle.gates import gate_statistics, gate_table

MAX_IMAGES = 128 if QUICK else 1000
seed_everything(SEED)
untrained = AlexNetECA(num_classes=10)               # the run's initial weights
stats_before = gate_statistics(untrained, val_set, max_images=MAX_IMAGES)
stats = gate_statistics(model, val_set, max_images=MAX_IMAGES)
counts = stats[0].class_counts()
display(Markdown(
    f"**{LABEL}**; gates on the first {len(stats[0].labels)} validation images "
    f"({counts.min()}–{counts.max()} per class)\n\n**after training**\n\n{gate_table(stats)}\n"
    f"**before training** (same initial weights)\n\n{gate_table(stats_before)}"))

# %%
fig, axes = plt.subplots(1, len(stats), figsize=(15, 3.4))
for stage, ax in zip(stats, axes):
    deviation = stage.class_means() - stage.mean()                  # [K, C]: class profile minus the average gate
    limit = np.nanmax(np.abs(deviation)) or 1.0
    image = ax.imshow(deviation, aspect="auto", cmap="coolwarm", vmin=-limit, vmax=limit, interpolation="nearest")
    ax.set_title(f"{stage.name} (C={stage.channels})\nimage spread {stage.image_spread():.3f}", fontsize=8)
    ax.set_xlabel("channel", fontsize=8)
    ax.set_yticks(range(len(CIFAR10_CLASSES)), CIFAR10_CLASSES if ax is axes[0] else [], fontsize=7)
    fig.colorbar(image, ax=ax, fraction=0.05)
fig.suptitle(f"mean gate per class minus mean gate over all images ({LABEL})", fontsize=9)
fig.tight_layout()
fig.savefig(setup.figure("nb03_gates_by_class.png"), dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# How to read it. A row of the heat map is a class's gate profile relative to the average: red channels are
# opened more for that class, blue ones less. Colours are scaled per stage, so compare the *image spread* in
# the titles and the table, not the colours across stages. What to look for: a stage whose gates hardly move
# from image to image (small image spread, class share near its floor) but differ between channels (channel
# spread) acts as a fixed, learned rescaling of its channels; a stage whose class share is well above its
# floor reweights its channels according to what is in the image. Early stages see colours and edges shared
# by all classes, later ones object parts, so one may *expect* the class dependence to grow with depth — the
# cell below reads what your run shows. In quick mode (synthetic images, two epochs) the network has barely
# learned: expect values close to the untrained ones.
# 热图的每一行是一个类别相对平均门控的偏离：红色表示该类别下这个通道开得更大，蓝色表示更小。quick 模式下网络几乎
# 没有学到东西，数值应接近未训练时的值。

# %%
def trend(stages):
    """One line per reading of the table, computed from `stages`."""
    calm = min(stages, key=lambda s: s.image_spread())
    busy = max(stages, key=lambda s: s.image_spread())
    ratio = [s.class_share() / s.class_share_floor() for s in stages]
    return (f"smallest image spread: {calm.name} ({calm.image_spread():.4f}); largest: {busy.name} "
            f"({busy.image_spread():.4f})\nclass share / its floor, stage by stage: "
            + ", ".join(f"{s.name} {r:.1f}x" for s, r in zip(stages, ratio))
            + f"\nclass dependence grows with depth (each stage's ratio above the previous one's): "
            f"{all(b > a for a, b in zip(ratio, ratio[1:]))}")


print(f"after training ({LABEL}):\n{trend(stats)}\n\nbefore training:\n{trend(stats_before)}")

# %% [markdown]
# ## 6. A side effect: the scale at initialisation · 初始化时的尺度
#
# Before any training, an ECA gate is sigmoid of a small number, close to 0.5. Five stages in a row then
# shrink the activations reaching the classifier, so the two networks do not even start from the same
# place: AlexNet-ECA begins with much smaller logits. That is a difference of scale, not of attention.
# The cell measures it over a few random initialisations. The control `AlexNetECA(unit_gate=True)` (model
# `alexnet_eca_unitgate`) uses the gate 2 · sigmoid with a zero-initialised kernel: it starts at exactly 1,
# so at initialisation it computes the same function as AlexNet, and only what the gate learns can differ.
# 未训练的 ECA 门控约为 0.5，五级连乘使 AlexNet-ECA 的初始 logits 小得多：这是尺度的差别，不是注意力的差别。
# 对照模型 `alexnet_eca_unitgate` 的初始门控恰好为 1。

# %%
images = paddle.to_tensor(np.stack([val_set[i][0] for i in range(min(32, len(val_set)))]))
builders = {"AlexNet": AlexNet, "AlexNet-ECA": AlexNetECA,
            "AlexNet-ECA unit gate": lambda num_classes: AlexNetECA(num_classes, unit_gate=True)}
logit_std = {name: [] for name in builders}
init_gates = {"AlexNet-ECA": [], "AlexNet-ECA unit gate": []}
with paddle.no_grad():
    for seed in range(5):
        for name, build in builders.items():
            seed_everything(seed)
            untrained = build(num_classes=10)
            untrained.eval()
            logit_std[name].append(float(untrained(images).numpy().std()))   # numpy: Tensor.std logs a dtype warning
            if name in init_gates:
                init_gates[name].append([gate.mean() for _, _, gate in eca_attention_weights(untrained, images)])
for name, values in init_gates.items():
    print(f"untrained {name}, mean gate per stage:", ", ".join(f"{g:.2f}" for g in np.mean(values, axis=0)))
for name, values in logit_std.items():
    print(f"untrained {name:22s} std of the logits: {np.mean(values):.4f} (mean of 5 initialisations, "
          f"range {min(values):.4f}-{max(values):.4f})")

# %% [markdown]
# ## 7. Exercises · 练习
#
# Replace each `...` with your answer (code or a prediction), then run the check cell below it: once you have
# answered, it asserts your answer against what the code computes; before that it only says so. Solutions:
# `notebooks/solutions.md`.
#
# **练习说明：** 把每个 `...` 换成你的答案（代码或预测），再运行下面的检查单元；答错会抛出 `AssertionError`。

# %%
from ecapaddle.course import check

# %% [markdown]
# **Exercise 1 (write a statistic).** Write the class share of section 5 yourself, with NumPy: `gates` [N, C] holds
# the gate of every channel for N images and `labels` [N] their classes. With m the mean gate of a channel over all
# images and m_k its mean over the n_k images of class k, the class share is Σ_channels Σ_k n_k (m_k − m)²
# divided by Σ_channels Σ_images (g − m)² (zero when the gates never vary). The check runs your function on
# every stage of the table, before and after training, and counts the stages where it equals the package's
# `class_share()`.
# **练习 1（写一个统计量）：** 用 NumPy 自己写出第 5 节的类别解释比例：`gates` [N, C] 是 N 张图像上每个通道的门控，
# `labels` [N] 是这些图像的类别。记 m 为某个通道在全部图像上的平均门控，m_k 为它在类别 k 的 n_k 张图像上的平均门控，
# 则类别解释比例等于 Σ_channels Σ_k n_k (m_k − m)²（对所有通道和类别求和）除以 Σ_channels Σ_images (g − m)²
# （对所有通道和图像求和，g 为单个门控值）；门控完全不变时它为 0。检查单元在表中的每一级（训练前和训练后）上运行你的
# 函数，统计结果与本包 `class_share()` 相等的级数。

# %%
def my_class_share(gates, labels):
    """Between-class variance / total variance of gates [N, C] with class labels [N], summed over channels."""
    return ...   # your code: a float


# %%
all_stages = stats_before + stats
agree = ... if my_class_share(stats[0].gates, stats[0].labels) is ... else \
    sum(bool(np.isclose(my_class_share(s.gates, s.labels), s.class_share(), rtol=1e-4, atol=1e-9)) for s in all_stages)
check(agree, len(all_stages), f"Exercise 1: stages where your class share equals class_share() (of {len(all_stages)})",
      tolerance=0)

# %% [markdown]
# **Exercise 2 (predict, then run).** Take an ECA layer of the first stage (C = 48, k = 3) and make every weight
# of its kernel positive. Feed it the first convolution's output of an untrained AlexNet-ECA on section 6's images
# (a) as it is, before ReLU, the notebook's placement, and (b) after ReLU. In which case is every gate of every
# channel and image at least 0.5? Answer `True` or `False` for each *before* running the check. (What does that
# say about what a gate placed after ReLU can do with positive weights?)
# **练习 2（先预测再运行）：** 取一个第一级的 ECA 层（C = 48，k = 3），把它卷积核的每个权重都变成正数。把未训练的
# AlexNet-ECA 第一个卷积在第 6 节图像上的输出送进这个层：(a) 原样送入，即在 ReLU 之前，也就是原课程采用的位置；
# (b) 经过 ReLU 之后再送入。哪种情况下所有通道、所有图像的门控都不小于 0.5？请*在运行检查单元之前*对两种情况分别
# 回答 `True` 或 `False`。（由此看，放在 ReLU 之后、权重全为正的门控能起什么作用？）

# %%
all_open_before_relu = ...   # your answer: True or False
all_open_after_relu = ...    # your answer: True or False

# %%
seed_everything(SEED)
conv1 = AlexNetECA(num_classes=10).features[0]            # the first convolution, untrained
probe = ECA(48, kernel_size=3)
probe.conv.weight.set_value(probe.conv.weight.abs() + 0.1)    # every weight positive
with paddle.no_grad():
    pre_activation = conv1(images)                       # [N, 48, H, W], signed
    gates_before = probe.attention(pre_activation).numpy()
    gates_after = probe.attention(paddle.nn.functional.relu(pre_activation)).numpy()
check(all_open_before_relu, bool((gates_before >= 0.5).all()), "Exercise 2: all gates >= 0.5, ECA before ReLU")
check(all_open_after_relu, bool((gates_after >= 0.5).all()), "Exercise 2: all gates >= 0.5, ECA after ReLU")

# %% [markdown]
# **Exercise 3 (write the fold).** Suppose a stage's image spread were 0: its gates g_c would not depend on the image,
# and the stage would compute g_c · conv(x)_c for fixed numbers g_c > 0. Show that a plain convolution computes the
# same: write `fold_gate(conv, gate)`, which returns a new `nn.Conv2D` with the same shape as `conv` (use
# `copy.deepcopy(conv)` and `set_value`) whose output equals `conv(x) * gate[None, :, None, None]`, for `gate` a
# NumPy array [C_out] of positive numbers. The check compares your convolution's output with the gated one,
# element by element. Then, in one sentence: why can't the same fold replace ECA in a stage whose image spread is
# large? (Look for your run's stages in the table printed below the check.)
#
# **练习 3（把门控折叠进卷积）：** 假设某一级的图像间离散度为 0：它的门控 g_c 不依赖于图像，这一级计算的就是
# g_c · conv(x)_c，其中 g_c > 0 是固定的数。证明普通卷积也能算出同样的结果：写出 `fold_gate(conv, gate)`，它返回一个
# 与 `conv` 形状相同的新 `nn.Conv2D`（可用 `copy.deepcopy(conv)` 和 `set_value`），其输出等于
# `conv(x) * gate[None, :, None, None]`，其中 `gate` 是由正数组成的 NumPy 数组 [C_out]。检查单元逐个元素比较你的卷积与
# 加了门控的卷积的输出。然后用一句话回答：为什么在图像间离散度很大的一级，不能用同样的折叠来代替 ECA？（在检查单元
# 下面打印的表中找一找你这次训练的各级。）

# %%
import copy

import paddle.nn as nn


def fold_gate(conv, gate):
    """A copy of the nn.Conv2D `conv` whose output is conv(x) * gate[None, :, None, None]; gate: [C_out], > 0."""
    return ...   # your code


# %%
paddle.seed(3)
conv = nn.Conv2D(3, 8, 3, padding=1)
conv.bias.set_value(paddle.randn([8]))                  # a bias that is not zero, as after training
fixed_gate = np.random.default_rng(3).uniform(0.1, 1.0, 8).astype("float32")
x_fold = paddle.randn([2, 3, 6, 6])
gated_output = (conv(x_fold) * paddle.to_tensor(fixed_gate)[None, :, None, None]).numpy()
folded = fold_gate(conv, fixed_gate)
equal = ... if folded is ... else int(np.isclose(folded(x_fold).numpy(), gated_output, rtol=1e-5, atol=1e-6).sum())
check(equal, gated_output.size, f"Exercise 3: elements of your convolution's output equal to the gated one "
      f"(of {gated_output.size})", tolerance=0)

# %%
for s in stats:
    print(f"{s.name:12s} channel spread {s.channel_spread():.3f}  image spread {s.image_spread():.4f}  "
          f"class share {s.class_share():.3f} (floor {s.class_share_floor():.3f})")

# %% [markdown]
# ## Summary · 本节小结
#
# - ECA sits after each convolution and before its ReLU in AlexNet (section 1 counts its parameters), and before
#   the residual addition in a ResNet block.
# - One live run of AlexNet-ECA in the chosen mode; its numbers depend on the mode's data and budget (printed
#   with the run) — quick mode's synthetic run only exercises the code.
# - The gates can be read three ways: a fixed per-channel rescaling (channel spread), a change from image to
#   image (image spread), and a change that follows the class (class spread, class share against its floor).
# - An untrained ECA halves every stage; the unit-gate control starts at exactly 1.
#
# **本节小结：** ECA 在 AlexNet 中位于每个卷积之后、ReLU 之前（参数个数见第 1 节），在 ResNet 中位于残差相加之前。
# 我们用所选模式现场训练了一次 AlexNet-ECA，其数值取决于该模式的数据和预算（随训练一起打印）；quick 模式在合成数据上的
# 训练只是让代码跑一遍。门控可以从三个角度来看：
# 固定的通道缩放（通道间离散度）、随图像的变化（图像间离散度）、随类别的变化（类别间离散度与类别解释比例，
# 后者需和随机下限比较）。未训练的 ECA 会把每一级的输出大约减半；单位门控（unit gate）对照模型的初始门控恰好为 1。
#
# **Next · 下一节:** notebook 04 puts the two models side by side, over several seeds.
# 第 04 节用多个随机种子把这两个模型放在一起比较。

# %%
setup.cleanup()
