# %% [markdown]
# # 01 · ECA explained: from SE to a 1-D convolution across channels · ECA 详解：从 SE 到通道上的一维卷积
#
# Efficient Channel Attention (ECA) comes from Wang, Wu, Zhu, Li, Zuo, Hu,
# *ECA-Net: Efficient Channel Attention for Deep Convolutional Neural Networks*, CVPR 2020,
# [arXiv 1910.03151](https://arxiv.org/abs/1910.03151). This notebook builds the idea up from
# Squeeze-and-Excitation (SE), draws the ECA block beside the SE block, writes ECA from Paddle primitives in a
# few lines and checks it against
# the package's layer, shows the band-matrix view (checked numerically), tabulates the adaptive kernel
# size, counts what ECA costs compared with SE in real models, and writes out the loss the training
# uses (label smoothing) with the floor it can never go below.
#
# **本节你将学到：** SE 的"压缩—激励—缩放"结构，以及 ECA 论文为什么去掉降维、只保留相邻通道之间的交互；
# 一张图看懂 ECA 模块（与 SE 模块对照）；用 Paddle 的基本算子（自适应平均池化、Conv1D、sigmoid、逐通道相乘）几行代码实现 ECA，并与
# `ecapaddle.ECA` 逐元素对比；一维卷积等价于一个带状矩阵；卷积核大小 k 的自适应公式；ECA 与 SE 的参数量
# 和计算量对比；标签平滑交叉熵的公式及其不可逾越的下界（平滑目标分布的熵）。最后有带自动检查的练习。
#
# Nothing here trains a network: every mode runs in seconds. `MODE` only decides where figures go
# (quick: a temporary directory; cpu / full: the repository's figures/).

# %%
import os
MODE = os.environ.get("ECAPADDLE_MODE", "quick")  # "quick" | "cpu" | "full" (here: where figures go)

# %%
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="IProgress not found")   # tqdm without ipywidgets: text bars instead
try:
    import ecapaddle
except ImportError:                        # a clone that was not pip-installed (e.g. AI Studio): use the repository
    sys.path.insert(0, str(Path.cwd().parent))
    import ecapaddle
from ecapaddle import course

setup = course.setup(MODE)
import matplotlib.pyplot as plt
import numpy as np
import paddle

# %% [markdown]
# ## 1. SE: squeeze, excite, scale · SE：压缩、激励、缩放
#
# A channel-attention layer reweights the C channels of a feature map x [N, C, H, W] with one
# gate in (0, 1) per channel, computed from the whole map:
#
# 1. **squeeze**: y = global average pool of x → [N, C];
# 2. **excite**: SE (Hu et al., CVPR 2018) maps y through FC(C → C/r) → ReLU → FC(C/r → C);
# 3. **scale**: out = x · sigmoid(excite(y)).
#
# The ECA paper asks two questions about step 2, and answers them with an ablation on
# ResNet-50 / ImageNet (top-1, paper Table 2):
#
# | excitation W (y → W y) | parameters | top-1 |
# |---|---|---|
# | none (vanilla ResNet-50) | 0 | 75.20 |
# | SE, r = 16: FC → ReLU → FC with **dimensionality reduction** | 2C²/r | 76.71 |
# | SE-Var1: no W at all, sigmoid(y) | 0 | 76.00 |
# | SE-Var2: diagonal W (each channel alone) | C | 77.07 |
# | SE-Var3: one full C × C W, no reduction | C² | 77.42 |
# | SE-GC: block-diagonal W (group conv) | C²/G | 76.95–76.98 |
# | ECA-NS: band W, own k weights per row | k·C | 77.35 |
# | **ECA: band W, one shared kernel of k weights** | **k** | **77.43** |
#
# Two lessons: (a) the dimensionality reduction of SE hurts (SE-Var2 and -Var3 beat SE);
# (b) channels need *some* interaction, but only with their neighbours: a band matrix whose
# rows share the same k weights is as good as the full matrix, with k parameters instead of C².
# A band matrix with shared rows is exactly a 1-D convolution over the channel axis.
#
# All of these layers are in `ecapaddle.layers`. Their parameter counts for C = 256:

# %%
# NBVAL_CHECK_OUTPUT
from ecapaddle import count_parameters
from ecapaddle.layers import ECA, ECANS, SE, SEGC, SEVar1, SEVar2, SEVar3

C = 256
layers = {
    "SE (r=16, with biases)": SE(C, reduction=16),
    "SE-Var1": SEVar1(C),
    "SE-Var2": SEVar2(C),
    "SE-Var3": SEVar3(C),
    "SE-GC (16 groups)": SEGC(C, groups=16),
    "ECA-NS (k=5)": ECANS(C, kernel_size=5),
    "ECA (adaptive k)": ECA(channels=C),
}
for name, layer in layers.items():
    print(f"{name:24s} {count_parameters(layer):>7,d} parameters")

# %% [markdown]
# ## 2. ECA from Paddle primitives · 用 Paddle 基本算子实现 ECA
#
# ECA keeps the squeeze and the scale of SE and replaces the excitation by a 1-D convolution of
# the pooled vector along the channel axis (one kernel of odd size k, zero padding (k−1)/2, no
# bias). The picture (after the paper's Fig. 2) shows the ECA block above, the SE block below:

# %%
from ecapaddle.plots import draw_eca_block

fig = draw_eca_block(se=True)       # the same picture as figures/eca_block.png
plt.show()

# %% [markdown]
# Read each row from left to right. Global average pooling turns each of the C channels of x into one number,
# y [N, C]. ECA then slides one kernel of k weights along this vector of channels: output channel i is a
# weighted sum of y_{i−1}, y_i and y_{i+1} when k = 3 (the red lines), with the same k weights for every i, and
# the first and last channels see zeros beyond the ends. The sigmoid turns each of the C values into a gate in
# (0, 1), reshaped to [N, C, 1, 1] so that it broadcasts over H and W, and the product multiplies every
# position of channel c by its gate c: the output has the shape of x. The SE row has the same pooling, sigmoid
# and product; between them, two fully connected layers through a narrower C/r mix every channel with every
# other (the grey lines), with 2C²/r weights where ECA has k.
#
# **读图：** 每一行从左到右。全局平均池化把 x 的每个通道压缩成一个数，得到 y [N, C]。ECA 用一个长度为 k
# 的卷积核沿通道方向滑动：k = 3 时，第 i 个输出通道是 y_{i−1}、y_i、y_{i+1} 的加权和（红线），所有通道共用
# 这 k 个权重，首尾通道在边界外补零。sigmoid 把 C 个值变成 (0, 1) 之间的门控，reshape 成 [N, C, 1, 1]
# 以便在 H、W 上广播；逐通道相乘后，输出与 x 形状相同。下方的 SE 有同样的池化、sigmoid 和相乘，
# 但中间是经过 C/r 瓶颈的两个全连接层，每个通道与所有通道相连（灰线），权重数为 2C²/r，而 ECA 只有 k 个。
#
# In Paddle, ECA is four primitives: `adaptive_avg_pool2d` (squeeze), `Conv1D` with one input and
# one output channel, run over the C pooled values as if they were a sequence of length C (excite),
# `sigmoid` (one gate per channel), and a broadcast multiply (scale). The whole layer:

# %%
import paddle.nn as nn
import paddle.nn.functional as F


class MyECA(nn.Layer):
    """ECA in four primitives: pool -> Conv1D over channels -> sigmoid -> multiply."""

    def __init__(self, k):
        super().__init__()
        self.conv = nn.Conv1D(1, 1, k, padding=(k - 1) // 2, bias_attr=False)   # k weights, nothing else

    def forward(self, x):                                  # x: [N, C, H, W]
        y = F.adaptive_avg_pool2d(x, 1).flatten(1)         # squeeze:  [N, C]
        y = self.conv(y.unsqueeze(1))                      # excite:   [N, 1, C]  (the C channels are the "length")
        gate = F.sigmoid(y).reshape([x.shape[0], -1, 1, 1])   # gates:  [N, C, 1, 1], each in (0, 1)
        return x * gate                                    # scale:    [N, C, H, W]

# %% [markdown]
# Now the check: the package's `ecapaddle.ECA` with the same k, its weights copied into `MyECA` (both call the
# weight `conv.weight`, shape [1, 1, k]), must give the same output on a random input. The shapes of each
# step are printed too.

# %%
# NBVAL_CHECK_OUTPUT
from ecapaddle import ECA, count_parameters

paddle.seed(0)
x = paddle.randn([2, 16, 8, 8])                      # [N, C, H, W]
eca = ECA(channels=16, kernel_size=3)                # the package's layer
mine = MyECA(3)
mine.set_state_dict(eca.state_dict())                # same k = 3 weights
print("ecapaddle.ECA:", eca, "| parameters:", count_parameters(eca), "| MyECA parameters:", count_parameters(mine))
pooled = F.adaptive_avg_pool2d(x, 1).flatten(1)
mixed = mine.conv(pooled.unsqueeze(1))
gate = F.sigmoid(mixed)
for name, t in [("x", x), ("pooled", pooled), ("conv1d", mixed), ("gate", gate), ("out", mine(x))]:
    print(f"{name:7s} {str(list(t.shape)):16s}")
print("gates in (0, 1):", bool((gate > 0).all() and (gate < 1).all()))
np.testing.assert_allclose(mine(x).numpy(), eca(x).numpy(), rtol=1e-5, atol=1e-6)
print("MyECA(x) == ecapaddle.ECA(x): True")

# %% [markdown]
# The package's layer does the same four steps, plus what a library needs: the adaptive k when only
# `channels` is given, input checks with clear messages, inputs of rank 3 and 5, and the circular-padding
# variant (CECA). From here on the notebook uses `ecapaddle.ECA`.

# %% [markdown]
# ## 3. The band-matrix view · 带状矩阵视角
#
# A 1-D convolution with kernel w = (w₀, …, w_{k−1}) and padding p = (k−1)/2 computes
# z_i = Σ_t w_t · y_{i+t−p} (Paddle, like PyTorch, does cross-correlation). Written as a matrix,
# z = B y with B[i, i+t−p] = w_t: a C × C **band matrix** whose rows all hold the same k weights
# (paper eq. 6–9). Each channel interacts with its k neighbours only; channels near the ends
# see zeros (the circular variant `CECA` wraps around instead).
#
# We build B from the layer's weights and check that the convolution and the matrix product agree.

# %%
# NBVAL_CHECK_OUTPUT
def band_matrix(kernel, channels):
    """The C x C matrix of a zero-padded 1-D cross-correlation with an odd kernel."""
    k, p = len(kernel), (len(kernel) - 1) // 2
    B = np.zeros((channels, channels), dtype="float32")
    for i in range(channels):
        for t in range(k):
            if 0 <= i + t - p < channels:
                B[i, i + t - p] = kernel[t]
    return B


kernel = eca.conv.weight.numpy().ravel()             # the k = 3 learned (here: initial) weights
B = band_matrix(kernel, 16)
z_conv = eca.conv(pooled.unsqueeze(1)).squeeze(1).numpy()    # [N, C]
z_band = pooled.numpy() @ B.T                                 # [N, C]
print("B shape:", B.shape, "| non-zeros per row:", sorted(set((B != 0).sum(axis=1).tolist())))
print("conv1d == band-matrix product:", np.allclose(z_conv, z_band, atol=1e-5))

# %%
fig, ax = plt.subplots(figsize=(5, 4.5))
im = ax.imshow(B, cmap="coolwarm", vmin=-abs(B).max(), vmax=abs(B).max())
ax.set(title="ECA as a band matrix: C=16, k=3\nkernel w = (" + ", ".join(f"{w:.2f}" for w in kernel) + ")",
       xlabel="input channel j", ylabel="output channel i")
fig.colorbar(im, ax=ax, fraction=0.046)
fig.savefig(setup.figure("nb01_band_matrix.png"), dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## 4. How large should k be? The adaptive rule · k 取多大：自适应公式
#
# Wider layers benefit from a wider interaction range. The paper maps the channel count C to an
# odd k with ψ(C) = |(log₂ C + b) / γ|_odd, γ = 2, b = 1: take t = int((log₂ C + 1) / 2) and
# round up to odd. `ecapaddle.eca_kernel_size` implements it; `ECA(channels=C)` uses it when no
# `kernel_size` is given.

# %%
# NBVAL_CHECK_OUTPUT
from ecapaddle import eca_kernel_size

print(f"{'C':>5} | {'log2 C':>6} | {'(log2 C + 1) / 2':>16} | k")
for c in [16, 32, 48, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096]:
    print(f"{c:>5} | {np.log2(c):6.2f} | {(np.log2(c) + 1) / 2:16.2f} | {eca_kernel_size(c)}")

# %%
cs = np.arange(16, 4097)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(cs, (np.log2(cs) + 1) / 2, color="grey", lw=1, label="(log2 C + 1) / 2")
ax.step(cs, [eca_kernel_size(int(c)) for c in cs], where="post", lw=2, label="k = ψ(C), odd")
for c, name, below in [(48, "AlexNet conv1", True), (192, "AlexNet conv3/4", True),
                       (256, "ResNet-50 stage 1", False), (2048, "ResNet-50 stage 4", False)]:
    ax.annotate(name, (c, eca_kernel_size(c)), textcoords="offset points", xytext=(-20, -14 if below else 8),
                fontsize=7)
    ax.plot(c, eca_kernel_size(c), "ko", ms=3)
ax.set(xscale="log", xlabel="channels C (log scale)", ylabel="kernel size k", yticks=[1, 3, 5, 7, 9],
       title="ECA's adaptive kernel size (γ=2, b=1)")
ax.legend()
ax.grid(alpha=0.3)
fig.savefig(setup.figure("nb01_adaptive_k.png"), dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# Note that the course notebook this project reproduces did not use the rule for AlexNet: it fixed
# k = (3, 3, 5, 5, 3) for the five conv stages, while the rule gives (3, 5, 5, 5, 5) for their
# channel counts (48, 128, 192, 192, 128). `AlexNetECA()` uses the notebook's sizes,
# `AlexNetECA(kernel_sizes="adaptive")` the rule's; notebook 05 compares the two.
#
# ## 5. What ECA costs, counted on real models · ECA 的代价：在真实模型上计数
#
# Parameters are counted with `count_parameters` on the models themselves. First the course's AlexNet.
# `AlexNet(attention=factory)` inserts `factory(channels, stage)` after each conv (before ReLU).

# %%
# NBVAL_CHECK_OUTPUT
from ecapaddle import AlexNet, AlexNetECA

alexnet = count_parameters(AlexNet())
variants = {
    "AlexNet-ECA (notebook k 3,3,5,5,3)": AlexNetECA(),
    "AlexNet-ECA (adaptive k 3,5,5,5,5)": AlexNetECA(kernel_sizes="adaptive"),
    "AlexNet + SE (r=16)": AlexNet(attention=lambda c, stage: SE(c, reduction=16)),
}
print(f"{'AlexNet':36s} {alexnet:>11,d}")
for name, model in variants.items():
    n = count_parameters(model)
    print(f"{name:36s} {n:>11,d}  (+{n - alexnet:,d}, +{100 * (n - alexnet) / alexnet:.4f} %)")

# %% [markdown]
# Now ResNet-50 from `paddle.vision.models`. `ecapaddle.models.add_attention` inserts an attention
# layer into each bottleneck **after its last BatchNorm and before the residual addition**, where the
# paper puts it. The paper reports +80 parameters for ECA-Net50: 16 blocks × k = 5 (the released
# checkpoint's per-stage sizes 3, 5, 5, 7 over 3, 4, 6, 3 blocks also sum to 80). The adaptive rule
# gives k = 5, 5, 5, 7 for the four stages (C = 256, 512, 1024, 2048), which is +86.
#
# FLOPs: the pooling and the scaling cost the same for SE and ECA (one add and one multiply per
# element of the feature map); they differ in the excitation, counted below as multiply-adds
# (C·k for ECA's 1-D convolution, the weight count of the two FC layers for SE) for one 224 × 224 image.

# %%
# NBVAL_CHECK_OUTPUT
from paddle.vision.models import resnet50

from ecapaddle.models import add_attention


def excitation_macs(model):
    """Multiply-adds of the attention layers' excitation steps (pool and scale excluded)."""
    total = 0
    for layer in model.sublayers():
        if isinstance(layer, ECA):
            total += layer.channels * layer.kernel_size
        elif isinstance(layer, SE):
            total += layer.fc1.weight.size + layer.fc2.weight.size
    return total


base = count_parameters(resnet50())
print(f"{'ResNet-50':28s} {base:>11,d}")
for name, kind, options in [("ResNet-50 + ECA (adaptive k)", "eca", {}),
                            ("ResNet-50 + ECA (k=5)", "eca", {"kernel_size": 5}),
                            ("ResNet-50 + SE (r=16)", "se", {"reduction": 16})]:
    model = add_attention(resnet50(), kind, **options)
    n = count_parameters(model)
    print(f"{name:28s} {n:>11,d}  (+{n - base:,d})  excitation: {excitation_macs(model) / 1e6:.3f} M multiply-adds")

# %% [markdown]
# ECA adds a few dozen parameters where SE adds about 2.5 million (about 10 % of ResNet-50),
# and its excitation costs a fraction of SE's multiply-adds. On speed the paper measured, on
# 4 × RTX 2080Ti, 785 / 1805 images/s (train / inference) for ECA-Net50 against 759 / 1620 for
# SENet-50 and 1024 / 1855 for the plain ResNet-50: the pooling and the extra element-wise
# multiply are not free on a GPU, even if their FLOPs are negligible. The project's benchmark
# (`python -m ecapaddle bench`, benchmarks/README.md) measures ECA's overhead in AlexNet on CPU.
#
# ## 6. The loss: label smoothing and its floor · 损失函数：标签平滑及其下界
#
# The course notebook trains with label-smoothing cross entropy, ε = 0.1. For logits z of one image with
# label y and K classes, p = softmax(z):
#
# loss = (1 − ε) · (−log p_y) + ε · (1/K) Σ_k (−log p_k)
#
# i.e. the usual negative log-likelihood, mixed with the mean of −log p over all classes. This is the cross
# entropy H(q, p) = −Σ_k q_k log p_k against the *smoothed* target q_k = (1 − ε)·[k = y] + ε/K
# (0.91 for the true class and 0.01 for each other class when ε = 0.1, K = 10). A cross entropy is never
# below the entropy of its target, H(q, p) ≥ H(q), with equality only at p = q. So the loss has a **floor**:
# no model, however good, can push the training loss below H(q). Below: the formula written with Paddle
# primitives, checked against `ecapaddle.LabelSmoothingCrossEntropy` and Paddle's own
# `F.cross_entropy(..., label_smoothing=ε)`, then the floor, computed and checked.

# %%
# NBVAL_CHECK_OUTPUT
from ecapaddle import LabelSmoothingCrossEntropy

eps, K = 0.1, 10
paddle.seed(0)
logits = paddle.randn([8, K]) * 3
labels = paddle.to_tensor([0, 1, 2, 3, 4, 5, 6, 7])
log_p = F.log_softmax(logits, axis=1)
nll = -paddle.take_along_axis(log_p, labels.unsqueeze(1), axis=1).squeeze(1)      # -log p_y
by_hand = ((1 - eps) * nll + eps * (-log_p).mean(axis=1)).mean()
package = LabelSmoothingCrossEntropy(eps)(logits, labels)
paddle_ce = F.cross_entropy(logits, labels, label_smoothing=eps)
print(f"by hand {float(by_hand):.5f} | ecapaddle {float(package):.5f} | F.cross_entropy {float(paddle_ce):.5f}")
np.testing.assert_allclose([float(package), float(paddle_ce)], [float(by_hand)] * 2, rtol=1e-5)

q = np.full(K, eps / K)
q[0] += 1 - eps                                            # smoothed target of an image of class 0
floor = float(-(q * np.log(q)).sum())                      # H(q): the lowest possible loss
print(f"smoothed target: {q[0]:.2f} for the true class, {q[1]:.2f} for each of the other {K - 1}")
print(f"floor H(q) = {floor:.4f} nats (ecapaddle.course.smoothed_target_entropy: "
      f"{course.smoothed_target_entropy(eps, K):.4f})")
at_q = LabelSmoothingCrossEntropy(eps)(paddle.to_tensor(np.log(q)[None].astype("float32")), paddle.to_tensor([0]))
print(f"loss when p = q exactly: {float(at_q):.4f}")
assert abs(float(at_q) - floor) < 1e-5

# %% [markdown]
# Now let an optimiser try to beat the floor: free logits for one image of class 0, trained by Adam on
# this loss alone for 300 steps. The loss falls onto H(q) and stays there; a network trained with ε = 0.1
# therefore reports a training loss of at least 0.50, however well it classifies. Plain cross entropy
# (ε = 0) has floor 0, reached only by infinitely confident logits.

# %%
z = paddle.create_parameter([1, K], "float32", default_initializer=nn.initializer.Constant(0.0))
optimizer = paddle.optimizer.Adam(learning_rate=0.1, parameters=[z])
criterion = LabelSmoothingCrossEntropy(eps)
losses = []
for step in range(300):
    loss = criterion(z, paddle.to_tensor([0]))
    loss.backward()
    optimizer.step()
    optimizer.clear_grad()
    losses.append(float(loss))
print(f"loss at step 0: {losses[0]:.4f}, lowest: {min(losses):.4f}, floor H(q): {floor:.4f}")
assert min(losses) >= floor - 1e-5, "a loss below the entropy floor would mean a bug in the loss"
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(losses, label="label-smoothing loss, free logits")
ax.axhline(floor, color="k", ls="--", lw=1, label=f"floor H(q) = {floor:.3f}")
ax.set(xlabel="Adam step", ylabel="loss (nats)", yscale="log", title="the loss cannot go below the entropy of the smoothed target")
ax.legend()
fig.savefig(setup.figure("nb01_label_smoothing_floor.png"), dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## 7. Exercises · 练习
#
# Replace each `...` with your answer (code, a number or a list), then run the check cell below it.
# A check asserts: a wrong answer stops with an `AssertionError`. Solutions: `notebooks/solutions.md`.
#
# **练习说明：** 把每个 `...` 换成你的答案（代码、数字或列表），再运行下面的检查单元；答错会抛出
# `AssertionError`。
#
# **Exercise 1 (write the adaptive rule).** Write the paper's rule yourself, without calling
# `eca_kernel_size`: t = int(|(log₂ C + b) / γ|), and k = t if t is odd, else t + 1. The check compares your
# function with the package's for every C from 1 to 4096, with (γ, b) = (2, 1) and also (3, 2).
# **练习 1（写出自适应公式）：** 不调用 `eca_kernel_size`，自己写出论文的公式：t = int(|(log₂ C + b) / γ|)，
# t 为奇数时 k = t，否则 k = t + 1。检查单元对 C 从 1 到 4096 的每个值、分别取 (γ, b) = (2, 1) 和 (3, 2)，
# 把你的函数与本包的结果逐一比较。

# %%
import math   # math.log2


def my_kernel_size(channels, gamma=2, b=1):
    """ECA's odd kernel size k for a layer with `channels` channels (the paper's adaptive rule)."""
    return ...   # your code: an int


# %%
rule_cases = [(c, gamma, b) for gamma, b in [(2, 1), (3, 2)] for c in range(1, 4097)]
agree = ... if my_kernel_size(64) is ... else \
    sum(my_kernel_size(c, gamma, b) == eca_kernel_size(c, gamma, b) for c, gamma, b in rule_cases)
course.check(agree, len(rule_cases), f"Exercise 1: (C, γ, b) cases where your k equals eca_kernel_size's "
                                     f"(of {len(rule_cases)})", tolerance=0)

# %% [markdown]
# **Exercise 2 (write CECA from primitives).** In the circular variant CECA the channel axis wraps around:
# channel 0 and channel C − 1 are neighbours, so every channel sees k real inputs and none sees padding zeros.
# Write `circular_eca(x, weight)` with Paddle primitives only (a mean or `F.adaptive_avg_pool2d`,
# `paddle.concat` and slicing, `F.conv1d`, `F.sigmoid`, a multiply): x [N, C, H, W] and a kernel `weight`
# [1, 1, k] give x · gate [N, C, H, W]. The check gives your function the weights of an `ecapaddle.CECA` layer
# (k = 5) and counts the output elements that equal the layer's.
# **练习 2（用基本算子写出 CECA）：** 在循环填充的变体 CECA 中，通道轴首尾相接：第 0 个通道和第 C − 1 个通道
# 互为相邻，所以每个通道都看到 k 个真实输入，没有一个看到填充的零。只用 Paddle 基本算子（求均值或
# `F.adaptive_avg_pool2d`、`paddle.concat` 与切片、`F.conv1d`、`F.sigmoid`、乘法）写出 `circular_eca(x, weight)`：
# 由 x [N, C, H, W] 和卷积核 `weight` [1, 1, k] 得到乘上门控之后的 x [N, C, H, W]。检查单元把一个
# `ecapaddle.CECA` 层（k = 5）的权重交给你的函数，统计输出中与该层输出相等的元素个数。

# %%
def circular_eca(x, weight):
    """ECA with a circular channel axis: x [N, C, H, W], kernel weight [1, 1, k] -> x * gate [N, C, H, W]."""
    return ...   # your code


# %%
from ecapaddle import CECA

paddle.seed(1)
x_test = paddle.randn([2, 16, 5, 5])
ceca = CECA(channels=16, kernel_size=5)
yours, expected = circular_eca(x_test, ceca.conv.weight), ceca(x_test).numpy()
equal = ... if yours is ... else int(np.isclose(yours.numpy(), expected, rtol=1e-5, atol=1e-6).sum())
course.check(equal, expected.size, f"Exercise 2: elements of your output equal to CECA's (of {expected.size})",
             tolerance=0)

# %% [markdown]
# **Exercise 3 (predict, then run).** Take the layer `eca` of section 2 (C = 16, k = 3, zero padding) and an
# input x. Add 1 to every value of channel 5 of x and leave the other channels alone: which channels' gates
# change? And if you add 1 to channel 0 instead? Write your two answers as lists of channel indices *before*
# running the check, which measures the gates with `eca.attention` (the gate [N, C, 1, 1]) before and after.
# **练习 3（先预测再运行）：** 取第 2 节的层 `eca`（C = 16，k = 3，零填充）和一个输入 x。把 x 第 5 个通道的
# 每个值都加 1，其他通道不变：哪些通道的门控会变？如果改为给第 0 个通道加 1 呢？请*在运行检查单元之前*把两个
# 答案写成通道下标的列表；检查单元用 `eca.attention`（门控，形状 [N, C, 1, 1]）测量修改前后的门控。

# %%
changed_by_channel_5 = ...   # your answer: a list of channel indices
changed_by_channel_0 = ...   # your answer: a list of channel indices


# %%
def gates_changed_by(layer, x, channel):
    """Indices of the channels whose gate changes when 1 is added to `channel` of x [N, C, H, W]."""
    shifted = x.numpy().copy()
    shifted[:, channel] += 1
    before, after = layer.attention(x).numpy(), layer.attention(paddle.to_tensor(shifted)).numpy()
    return np.flatnonzero(np.abs(after - before).max(axis=(0, 2, 3)) > 1e-7).tolist()


x_probe = paddle.randn([2, 16, 8, 8])
course.check(changed_by_channel_5, gates_changed_by(eca, x_probe, 5), "Exercise 3: gates changed by channel 5")
course.check(changed_by_channel_0, gates_changed_by(eca, x_probe, 0), "Exercise 3: gates changed by channel 0")

# %% [markdown]
# **Exercise 4 (predict, then run).** In section 6, Adam trained free logits z for one image of class 0 until
# the loss sat on its floor. Softmax does not change when the same number is added to every logit, so only the
# gaps z₀ − z_j matter. Predict the gap between the true class's logit and each other class's logit at the end
# of that run (4 significant digits), from the smoothed target q alone. Then compare: what would the gap be with
# ε = 0?
# **练习 4（先预测再运行）：** 第 6 节中，Adam 训练一张类别 0 图像的自由 logits z，直到损失停在下界上。
# 给每个 logit 加上同一个数不会改变 softmax，所以只有差值 z₀ − z_j 有意义。只根据平滑后的目标分布 q，
# 预测训练结束时正确类别的 logit 与其他每个类别的 logit 之差（4 位有效数字）。再比较一下：ε = 0 时这个差值
# 会是多少？

# %%
logit_gap = ...   # your answer: a float

# %%
trained_gaps = z.numpy().ravel()[0] - z.numpy().ravel()[1:]        # z_0 - z_j, j = 1..9, after the Adam run
course.check(logit_gap, float(trained_gaps.mean()), "Exercise 4: the logit gap at the floor")
if logit_gap is not ...:
    print(f"the gaps after {len(losses)} Adam steps: {trained_gaps.min():.4f} .. {trained_gaps.max():.4f}")

# %% [markdown]
# ## Summary · 本节小结
#
# - SE's excitation reduces the channel dimension; the ECA paper's ablation shows that this hurts and that
#   local interaction between neighbouring channels, with one shared kernel of k weights, is enough.
# - ECA = global average pool → 1-D convolution across channels → sigmoid → multiply (the picture of section 2,
#   `ecapaddle.plots.draw_eca_block`); written from Paddle primitives above in a dozen lines and equal to
#   `ecapaddle.ECA`. The convolution is a band matrix.
# - k follows ψ(C) = |(log₂ C + 1)/2|_odd; ECA adds k parameters per layer (+19 in the course's AlexNet,
#   tens in ResNets, against millions for SE).
# - Label smoothing mixes the negative log-likelihood with the mean of −log p; its loss can never go below
#   the entropy of the smoothed target (≈ 0.50 nats for ε = 0.1, K = 10).
#
# **本节小结：** SE 的激励步骤会降低通道维度；ECA 论文的消融实验表明降维有害，而用一个共享的、k 个权重的
# 卷积核只在相邻通道之间建立局部交互就足够了。ECA = 全局平均池化 → 沿通道的一维卷积 → sigmoid → 相乘
# （第 2 节的示意图，`ecapaddle.plots.draw_eca_block`）；我们用 Paddle 基本算子十几行代码实现了它，输出与
# `ecapaddle.ECA` 逐元素一致。这个一维卷积等价于一个带状矩阵。k 由通道数按 ψ(C) = |(log₂ C + 1)/2|_odd 决定；
# ECA 每层只增加 k 个参数（课程的 AlexNet 中共 +19 个，ResNet 中几十个，而 SE 要几百万个）。
# 标签平滑交叉熵 = (1−ε)·NLL + ε·(−log p 的类别平均)，其最小值是平滑目标分布的熵（ε = 0.1、K = 10 时约
# 0.50 nats），训练损失不可能低于它。
#
# **Next · 下一节:** notebook 02 trains the baseline AlexNet, notebook 03 AlexNet-ECA.
# 第 02 节训练基线 AlexNet，第 03 节训练 AlexNet-ECA。

# %%
setup.cleanup()
