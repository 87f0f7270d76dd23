# Source of notebooks/01_eca_explained.ipynb (percent format); rebuild with notebooks/build_notebooks.py.

# %% [markdown]
# # 01 · ECA explained: from SE to a 1-D convolution across channels
#
# Efficient Channel Attention (ECA) comes from Wang, Wu, Zhu, Li, Zuo, Hu,
# *ECA-Net: Efficient Channel Attention for Deep Convolutional Neural Networks*, CVPR 2020,
# [arXiv 1910.03151](https://arxiv.org/abs/1910.03151). This notebook builds the idea up from
# Squeeze-and-Excitation (SE), runs the layer step by step, shows the band-matrix view
# (and checks it numerically), tabulates the adaptive kernel size, and counts what ECA costs
# compared with SE in real models.
#
# All layers come from the `ecapaddle` package; the notebook only shows and checks them.

# %%
import os
import sys
import tempfile
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="No ccache found")          # printed by paddle at import
warnings.filterwarnings("ignore", message="IProgress not found")      # tqdm.auto without ipywidgets; bars are off here
QUICK = os.environ.get("ECAPADDLE_QUICK") == "1"    # quick mode: seconds, nothing written into the repo
try:
    import ecapaddle                                 # first: it sets the CPU defaults before paddle loads
except ImportError:                                  # a clone that was not `pip install -e .`-ed (e.g. AI Studio)
    sys.path.insert(0, str(Path.cwd().parent))
    import ecapaddle
import matplotlib.pyplot as plt
import numpy as np
import paddle

plt.rcParams["figure.dpi"] = 80
FIGURES = Path(tempfile.mkdtemp(prefix="ecapaddle-nb-")) if QUICK else Path("../figures")
FIGURES.mkdir(exist_ok=True)
print("mode:", "QUICK (figures go to a temporary directory)" if QUICK else "full (figures saved under figures/)")

# %% [markdown]
# ## 1. SE: squeeze, excite, scale
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
# ## 2. ECA step by step
#
# ECA keeps the squeeze and the scale of SE and replaces the excitation by a 1-D convolution of
# the pooled vector along the channel axis (one kernel of odd size k, zero padding (k−1)/2, no
# bias). Below, each step on a small tensor, using the layer's own convolution `eca.conv`;
# the last line checks that the steps give exactly what the layer computes.

# %%
# NBVAL_CHECK_OUTPUT
paddle.seed(0)
x = paddle.randn([2, 16, 8, 8])                      # [N, C, H, W]
eca = ECA(channels=16, kernel_size=3)
print("layer:", eca, "| parameters:", count_parameters(eca))

pooled = x.mean(axis=[2, 3])                         # squeeze          [N, C]
mixed = eca.conv(pooled.unsqueeze(1))                # 1-D conv         [N, 1, C]  (channels are the "length")
gate = paddle.nn.functional.sigmoid(mixed)           # one gate/channel [N, 1, C]
out = x * gate.reshape([2, 16, 1, 1])                # scale            [N, C, H, W]
for name, t in [("x", x), ("pooled", pooled), ("conv1d", mixed), ("gate", gate), ("out", out)]:
    print(f"{name:7s} {str(list(t.shape)):16s}")
print("gates in (0, 1):", bool((gate > 0).all() and (gate < 1).all()))
print("steps == eca(x):", np.allclose(out.numpy(), eca(x).numpy(), atol=1e-6))

# %% [markdown]
# ## 3. The band-matrix view
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
fig.savefig(FIGURES / "nb01_band_matrix.png", dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## 4. How large should k be? The adaptive rule
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
fig.savefig(FIGURES / "nb01_adaptive_k.png", dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# Note that the course notebook this project reproduces did not use the rule for AlexNet: it fixed
# k = (3, 3, 5, 5, 3) for the five conv stages, while the rule gives (3, 5, 5, 5, 5) for their
# channel counts (48, 128, 192, 192, 128). `AlexNetECA()` uses the notebook's sizes,
# `AlexNetECA(kernel_sizes="adaptive")` the rule's; notebook 05 compares the two.
#
# ## 5. What ECA costs, counted on real models
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
# multiply are not free on a GPU, even if their FLOPs are negligible. Notebook 04 measures the
# overhead of ECA in AlexNet on this machine.
#
# **Next:** notebook 02 trains the baseline AlexNet, notebook 03 AlexNet-ECA.

# %%
import shutil

if QUICK:
    shutil.rmtree(FIGURES, ignore_errors=True)      # the temporary figure directory of quick mode
