# %% [markdown]
# # 00 · Set-up and data · 环境与数据
#
# This course reproduces, with an honest protocol, the PaddlePaddle AI Studio experiment
# "AlexNet with Efficient Channel Attention on CIFAR-10" (ECA: Wang et al., CVPR 2020,
# [arXiv 1910.03151](https://arxiv.org/abs/1910.03151); the authors' PyTorch code:
# [BangguWu/ECANet](https://github.com/BangguWu/ECANet)). All code lives in the `ecapaddle`
# package; the notebooks show the ideas and call the package.
#
# | notebook | content |
# |---|---|
# | 00 | installation (also in Baidu AI Studio), the three modes, where CIFAR-10 comes from, the images, the augmentation, mixup |
# | 01 | ECA explained: from SE to a 1-D convolution, ECA from Paddle primitives, the band matrix, the adaptive k, the cost, the loss |
# | 02 | the baseline AlexNet: model, recipe, a plain Paddle training loop, a live run, the committed results |
# | 03 | AlexNet-ECA: where ECA goes, a live run, what the attention learned |
# | 04 | the comparison, and what is left of the original +5.23-point claim |
# | 05 | ablations: kernel size, adaptive k, ECA vs SE and its variants, placement, several seeds |
# | 06 | ECA in your own model: ResNet-18 / MobileNetV2, training, export, inference |
#
# **本节你将学到：** 如何安装本课程（包括在百度 AI Studio 上安装而不破坏预装的 `paddlepaddle-gpu`）；
# `quick` / `cpu` / `full` 三种模式的区别以及如何切换；CIFAR-10 数据集的查找顺序（包括 AI Studio 挂载的
# 数据集 152754）；数据集的图像与类别分布；原课程的数据增强流程；以及原课程中的 PaddleX `MixupImage`
# 为什么实际上没有起作用，真正的 mixup / CutMix 应该怎样做。最后有带自动检查的练习。
#
# ## Terms used in this course · 术语表
#
# The Chinese text of every notebook uses these words for these terms (the same table is in `README_cn.md`).
# 各节中文部分统一使用下表中的译名（`README_cn.md` 中有同一张表）。
#
# | English | 中文 | in this course · 本课程中的含义 |
# |---|---|---|
# | epoch | 轮 | one pass over the training images · 遍历一次全部训练图像，如"训练 8 轮" |
# | batch | 批次 | the images of one optimizer step · 一次优化步使用的图像 |
# | training set | 训练集 | the images the weights are fitted on · 用于拟合权重的图像 |
# | validation set | 验证集 | images held out to watch training and choose settings · 用于观察训练和选择设置的图像 |
# | test set | 测试集 | images used once, at the end · 只在最后使用一次的图像 |
# | channel | 通道 | one feature map of a layer's output [N, C, H, W] · 输出中的一个特征图 |
# | gate | 门控 | the weight in (0, 1) that attention multiplies a channel by · 注意力乘到每个通道上的 (0, 1) 权重 |
# | attention | 注意力 | gates computed from the input itself · 由输入本身计算出的门控 |
# | kernel size k | 卷积核大小 k | how many neighbouring channels ECA's 1-D convolution sees · ECA 一维卷积覆盖的相邻通道数 |
# | parameter | 参数 | a trained weight · 需要训练的权重 |
# | seed | 随机种子（复合词中简称“种子”，如“种子间波动”） | fixes the initial weights, the data order and the augmentation · 决定初始权重、数据顺序和数据增强 |
# | confidence interval | 置信区间 | the range of a mean that the spread between seeds allows · 由种子间波动给出的均值范围 |
# | paired difference | 配对差值 | model B minus model A with the same seed · 同一随机种子下两个模型之差 |
# | chance level | 随机水平 | the accuracy of guessing, 1/10 for 10 classes · 随机猜测的准确率（10 类时为 1/10） |
# | augmentation | 数据增强 | random changes of the training images · 对训练图像的随机变换 |
# | label smoothing | 标签平滑 | a target that keeps a little weight on every class · 给每个类别都留少量概率的目标分布 |
# | ablation | 消融实验 | changing one part of a design to see what it contributes · 每次只改设计的一处，看它的作用 |
# | synthetic data | 合成数据 | quick mode's generated images, not CIFAR-10 · quick 模式生成的图像，不是 CIFAR-10 |
# | recipe | 训练配方 | data, budget and optimizer settings of a run · 一次训练的数据、预算和优化器设置 |
# | channel / image / class spread | 通道间 / 图像间 / 类别间离散度 | how much gates differ between channels, images, classes (notebook 03) · 门控在通道、图像、类别之间的差异（第 03 节） |
# | class share | 类别解释比例 | the part of the gates' variation the class explains (notebook 03) · 门控变化中能由类别解释的部分（第 03 节） |
#
# ## 1. Three modes · 三种模式
#
# Every notebook starts with one line, `MODE = ...`, that you may edit:
#
# | MODE | data | budget | for |
# |---|---|---|---|
# | `"quick"` (default) | a tiny **synthetic** archive in the CIFAR-10 format (not CIFAR-10) | 2 epochs, seconds | a first look; the tests run this |
# | `"cpu"` | real CIFAR-10: 10,000 training images, 5,000 validation images held out | 8 epochs; the committed runs in `figures/paired/` took 17-32 minutes per model (one thread each, two side by side on 2 cores) | a laptop |
# | `"full"` | real CIFAR-10: all 50,000 training images, validated on the test split | 50 epochs, batch 128: the original notebook's recipe | a GPU (e.g. AI Studio) |
#
# (The defaults come from the environment variable `ECAPADDLE_MODE`, so tests can set the mode without
# editing notebooks.) Training notebooks train live. In `cpu` and `full` mode a run is kept in the
# repository's `runs/<mode>/<model>-seed<s>` (git-ignored; `ECAPADDLE_RUNS` chooses another folder): a kernel
# restart resumes it, and a finished run is reused by the next notebook that needs it (04 reuses the runs of
# 02 and 03). Quick-mode runs go to a temporary directory. The results committed to the repository are only read.
#
# 每个笔记本开头的 `MODE` 一行决定训练配方：`quick` 用合成数据（不是 CIFAR-10），几秒钟跑完，测试也用它；`cpu`
# 用真实 CIFAR-10 的一部分训练 8 轮，适合笔记本电脑；`full` 即原课程配方（5 万张训练图像、50 轮），适合 GPU。
# 训练笔记本现场训练：`cpu` 和 `full` 模式的运行保存在仓库的 `runs/<mode>/<model>-seed<s>`（git 忽略），内核重启后
# 从最后完成的那一轮之后继续，训练完成的运行会被后面的笔记本直接复用（04 复用 02 和 03 的运行）；`quick` 模式的运行放在
# 临时目录中。仓库中已提交的结果只读。
#
# ## 2. Run in Baidu AI Studio · 在百度 AI Studio 上运行
#
# 1. Create a notebook project with a GPU environment, and **attach the dataset 152754** (CIFAR-10); AI Studio
#    mounts it at `data/data152754/cifar-10-python.tar.gz`, where `ecapaddle` looks for it.
#    创建项目时选择 GPU 环境，并**添加数据集 152754**（CIFAR-10）。
# 2. Put this repository into the project (upload it, or `git clone` it into the `work/` folder) and, in a
#    terminal or a notebook cell starting with `!`, install it **without its dependencies**, so that pip never
#    replaces the preinstalled `paddlepaddle-gpu` by the CPU wheel, then the few other libraries (already there
#    on AI Studio; pip leaves installed ones alone):
#
#    ```bash
#    cd ecapaddle                     # the repository's root folder
#    pip install -e . --no-deps
#    pip install numpy matplotlib tqdm Pillow
#    ```
#
#    Without installing at all, the notebooks still work: their set-up cell falls back to the repository
#    root on `sys.path`. 安装时务必使用 `--no-deps`，以免 pip 用 CPU 版 `paddlepaddle` 覆盖预装的 `paddlepaddle-gpu`。
# 3. Open `notebooks/02_baseline_alexnet.ipynb` (then 03, 04), edit the first code cell to `MODE = "full"`,
#    and run all cells. Paddle uses the GPU automatically, with mixed precision. 把第一个代码单元改为
#    `MODE = "full"` 后运行全部单元即可。
#
# The set-up cell below prints the versions, the device and what the chosen mode means.

# %%
import os
MODE = os.environ.get("ECAPADDLE_MODE", "quick")  # "quick" | "cpu" | "full" (on an AI Studio GPU: "full")

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

setup = course.setup(MODE, figure_format="jpeg")   # this notebook shows photos: JPEG keeps it small
import matplotlib.pyplot as plt
import numpy as np
import paddle

# %% [markdown]
# On a CPU, Paddle computes on one core unless told otherwise; `course.setup` calls
# `ecapaddle.runtime.use_all_cores()` (set `ECAPADDLE_THREADS` to choose another count). Importing
# `ecapaddle` changes no setting by itself. On a GPU, Paddle uses the GPU automatically.
# 在 CPU 上，`course.setup` 让 Paddle 使用全部核心；在 GPU 上 Paddle 自动使用 GPU。
#
# ## 3. Where CIFAR-10 comes from · CIFAR-10 从哪里来
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
# A path given explicitly (1 or 2) that does not exist is an error, never a silent fall-through.
# 查找顺序：显式路径、环境变量 `ECAPADDLE_CIFAR10`、AI Studio 挂载的数据集、Paddle 的下载缓存；显式给出但不存在的
# 路径会直接报错，而不会悄悄换成别的数据：

# %%
from ecapaddle.data import DatasetNotFoundError, find_cifar10

try:
    find_cifar10("no/such/dir/cifar-10-python.tar.gz")
except DatasetNotFoundError as err:
    print(type(err).__name__ + ":", err)

# %% [markdown]
# Quick mode writes a small **synthetic** archive in the official format instead (class-dependent
# colours and stripe patterns: a stand-in for tests, *not* CIFAR-10). `cpu` and `full` mode need the real
# archive; when it is missing this notebook says so and falls back to the synthetic one (the training
# notebooks stop instead). `describe_source` always says which kind of data is used.
# quick 模式使用合成数据（按类别着色的条纹图案，不是 CIFAR-10）；`describe_source` 总会说明用的是哪种数据。

# %%
from ecapaddle.data import CIFAR10_CLASSES, DatasetNotFoundError, load_cifar10
from ecapaddle.recipes import RECIPES

try:
    archive, source = setup.archive()               # quick: synthetic; cpu / full: find_cifar10()
except DatasetNotFoundError as err:
    print(f"*** {err}\n*** this notebook falls back to the quick mode's SYNTHETIC archive ***")
    archive, source = course.recipe_archive(RECIPES["quick"], setup.work)
print(source)                                       # the file name only, no local path
train_raw = load_cifar10("train", archive)          # no transform: items are (PIL image 32 x 32, label)
test_raw = load_cifar10("test", archive)
print(f"train: {len(train_raw):,} images, test: {len(test_raw):,} images, classes: {', '.join(CIFAR10_CLASSES)}")

# %% [markdown]
# ## 4. A look at the images and the class balance · 图像与类别分布

# %%
fig, axes = plt.subplots(3, 10, figsize=(12, 4))
for c, column in enumerate(axes.T):
    for ax, index in zip(column, np.flatnonzero(train_raw.labels == c)[:3]):
        ax.imshow(train_raw[index][0], interpolation="nearest")     # the real 32 x 32 pixels, not smoothed
        ax.axis("off")
    column[0].set_title(CIFAR10_CLASSES[c], fontsize=9)
fig.suptitle("three training images per class (32 x 32)", fontsize=10)
fig.tight_layout()
fig.savefig(setup.figure("nb00_images.png"), dpi=80, bbox_inches="tight")
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
fig.savefig(setup.figure("nb00_class_balance.png"), dpi=80, bbox_inches="tight")
plt.show()

# %% [markdown]
# CIFAR-10 is perfectly balanced (5,000 training and 1,000 test images per class), so plain accuracy is a
# fair summary, and a stratified subset (`load_cifar10(..., subset=n)`) keeps the balance.
# CIFAR-10 的训练集和测试集中各类别图像数相同，所以准确率是公平的指标；分层抽样的子集保持这一平衡。
#
# ## 5. The augmentation pipeline · 数据增强流程
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
# 模型输入为 128 × 128，所以 32 × 32 的图像都要放大。`"notebook"` 是原课程的数据增强，`"fast"` 更便宜，适合 CPU；
# 两者的测试流程都是 Resize(128) → ToTensor → Normalize。

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
fig.savefig(setup.figure("nb00_augmentation.png"), dpi=80, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## 6. Mixup: why the original did nothing, and a real one · Mixup：原课程中为何无效，以及真正的 mixup
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
# mixup 需要两张图像，所以应当在数据加载之后、对整个批次进行：`mix_batch` 从 Beta(α, α) 抽取 λ，把批次中的每张图像
# 与随机配对的另一张混合，损失为 λ·L(y_a) + (1 − λ)·L(y_b)；它也支持 CutMix（粘贴一个矩形区域）。默认关闭。

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
fig.savefig(setup.figure("nb00_mixup.png"), dpi=80, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## 7. Exercises · 练习
#
# Replace each `...` with your answer (a number, a pair or code), then run the check cell below it. A check
# asserts: a wrong answer stops with an `AssertionError`. Solutions: `notebooks/solutions.md`.
#
# **练习说明：** 把每个 `...` 换成你的答案（数字、数对或代码），再运行下面的检查单元；答错会抛出 `AssertionError`。
# 答案见 `notebooks/solutions.md`。
#
# **Exercise 1 (predict, then run).** CIFAR-10's training set has 5,000 images of each class. A class-stratified
# subset of 1,005 of them (`load_cifar10("train", subset=1005)`): how many images do the largest and the smallest
# class get? Answer as a pair `(largest, smallest)`. The check draws the subset with the package's
# `stratified_indices` on labels of that composition.
# **练习 1（先预测再运行）：** CIFAR-10 的训练集每个类别有 5,000 张图像。从中按类别分层抽取 1,005 张
# （`load_cifar10("train", subset=1005)`）：分到图像最多的类别和最少的类别各有多少张？答案写成数对
# `(largest, smallest)`，先写最多的，再写最少的。检查单元用本包的 `stratified_indices`，在同样构成的标签上抽取这个子集。

# %%
subset_counts = ...   # your answer: (largest, smallest)

# %%
from ecapaddle.data.cifar10 import stratified_indices

cifar10_labels = np.repeat(np.arange(10), 5000)          # the training set's composition
counts = np.bincount(cifar10_labels[stratified_indices(cifar10_labels, 1005, seed=0)], minlength=10)
course.check(subset_counts, (int(counts.max()), int(counts.min())), "Exercise 1: class sizes of a 1,005-image subset")

# %% [markdown]
# **Exercise 2 (predict, then run).** The test pipeline ends with `Normalize` by the ImageNet mean (0.485, 0.456,
# 0.406) and standard deviation (0.229, 0.224, 0.225), after `ToTensor` has scaled the pixels to [0, 1]. What
# value does a pure black pixel take in the **red** channel (4 significant digits)? The check sends a black image
# through the pipeline. (Is the value of a white pixel further from 0, or closer?)
# **练习 2（先预测再运行）：** 测试流程先由 `ToTensor` 把像素值缩放到 [0, 1]，最后用 ImageNet 的均值
# (0.485, 0.456, 0.406) 和标准差 (0.229, 0.224, 0.225) 做 `Normalize`。纯黑像素在**红色**通道上的值是多少
# （保留 4 位有效数字）？检查单元把一张全黑图像送进测试流程来核对。（白色像素的值离 0 更远还是更近？）

# %%
black_red = ...   # your answer: a float

# %%
from PIL import Image

black = test_transform(Image.new("RGB", (32, 32), (0, 0, 0)))
course.check(black_red, float(black[0, 0, 0]), "Exercise 2: a black pixel's red value after Normalize")

# %% [markdown]
# **Exercise 3 (write an augmentation).** Write mixup yourself, with Paddle operations only: `my_mixup(images, lam,
# partner)` takes a batch `images` [N, 3, H, W], the weight `lam` and the index `partner` [N] of the image each
# one is mixed with, and returns λ · x_i + (1 − λ) · x_partner(i). The check lets `mix_batch` draw λ and the
# pairing for section 6's batch (with labels 0 … N − 1, its second label set *is* the pairing), gives them to your
# function and counts the elements of your batch that equal `mix_batch`'s.
# **练习 3（写一个数据增强）：** 只用 Paddle 运算自己实现 mixup：`my_mixup(images, lam, partner)` 的输入是一个批次的
# 图像 `images` [N, 3, H, W]、混合权重 `lam`，以及每张图像要与之混合的那张图像的下标 `partner` [N]，返回
# λ · x_i + (1 − λ) · x_partner(i)。检查单元让 `mix_batch` 为第 6 节的批次抽取 λ 和配对（标签取 0 … N − 1 时，
# 它返回的第二组标签*就是*配对下标），把它们交给你的函数，再统计你的批次中与 `mix_batch` 结果相等的元素个数。

# %%
def my_mixup(images, lam, partner):
    """Mixup of a batch: images [N, 3, H, W], lam a float, partner [N] int64 -> the mixed batch [N, 3, H, W]."""
    return ...   # your code


# %%
mixed, _, partner, lam = mix_batch(images, paddle.arange(len(images)), 1.0, "mixup", np.random.default_rng(1))
expected = mixed.numpy()
yours = my_mixup(images, lam, partner)
equal = ... if yours is ... else int(np.isclose(yours.numpy(), expected, rtol=1e-5, atol=1e-6).sum())
course.check(equal, expected.size, f"Exercise 3: elements of your mixed batch equal to mix_batch's (of {expected.size})",
             tolerance=0)

# %% [markdown]
# ## Summary · 本节小结
#
# - One line, `MODE = "quick" | "cpu" | "full"`, chooses the recipe; `full` is the original notebook's, for a GPU.
# - In AI Studio: attach dataset 152754, `pip install -e . --no-deps` (keeps `paddlepaddle-gpu`), set `MODE = "full"`.
# - `find_cifar10` looks for the official archive (explicit path, `$ECAPADDLE_CIFAR10`, the AI Studio mount,
#   Paddle's cache) and never silently replaces a path you gave; quick mode uses a labelled synthetic archive.
# - CIFAR-10 is balanced, so accuracy is a fair summary; stratified subsets keep the balance.
# - The original's `MixupImage` returned single images unchanged: its results were obtained without mixup.
#   Real mixup acts on a batch (`mix_batch`, `TrainConfig(mixup_alpha=...)`); exercise 3 writes it.
# - The glossary at the top fixes the Chinese terms of the course (轮, 验证集, 门控, 通道, 随机种子, ...).
#
# **本节小结：** 一行 `MODE = "quick" | "cpu" | "full"` 选择训练配方，`full` 即原课程配方，适合 GPU。在 AI Studio 上：
# 添加数据集 152754，用 `pip install -e . --no-deps` 安装（保留 `paddlepaddle-gpu`），把 `MODE` 改为 `"full"`。
# `find_cifar10` 依次在显式路径、`$ECAPADDLE_CIFAR10`、AI Studio 挂载的数据集和 Paddle 的缓存中查找官方压缩包，
# 绝不会悄悄替换你给出的路径；quick 模式使用明确标为合成数据的压缩包。
# CIFAR-10 各类别样本数相同，所以准确率是公平的指标；分层抽样的子集保持这一平衡。原课程使用的 `MixupImage`
# 原样返回单张图像，因此其结果实际上没有使用 mixup；真正的 mixup 作用于一个批次（`mix_batch`，
# `TrainConfig(mixup_alpha=...)`），练习 3 中你自己写了它。
# 开头的术语表统一了本课程的中文译名（轮、验证集、门控、通道、随机种子等）。
#
# **Next · 下一节:** notebook 01 explains ECA itself. 第 01 节讲解 ECA 本身。

# %%
setup.cleanup()
