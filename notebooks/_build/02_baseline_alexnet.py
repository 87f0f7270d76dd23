# %% [markdown]
# # 02 · The baseline: AlexNet on CIFAR-10 · 基线：CIFAR-10 上的 AlexNet
#
# The course notebook this project reproduces trains an AlexNet for 3 × 128 × 128 inputs
# (CIFAR-10 images resized from 32 px) and then the same network with ECA
# ([ECA-Net, arXiv 1910.03151](https://arxiv.org/abs/1910.03151)). This notebook is the baseline:
# the model written from Paddle layers and checked against the package's, the training recipe, a training loop
# written in plain Paddle, then a live run with the
# package's engine in the mode you choose, and, read-only, what the `cpu` recipe gave on real CIFAR-10.
#
# **本节你将学到：** 用约 20 行 `nn.Sequential` 按阶段表写出 AlexNet，并与 `ecapaddle.AlexNet` 核对参数量（7,524,042）
# 和输出；ECA 应插在哪里；原课程的训练配方，以及 `quick` / `cpu` / `full`
# 三种预设；用约 20 行纯 Paddle 代码写出训练循环（前向、损失、反向、优化器更新、学习率调度、清空梯度）；
# 再交给 `ecapaddle.train` 在所选模式下现场训练（`cpu` / `full` 的运行保存在 `runs/` 中，可继续、可复用）；最后只读地查看仓库中已提交的
# `cpu` 配方结果。

# %% [markdown]
# **Choose the mode · 选择模式.** `"quick"`: a tiny synthetic archive, seconds (what the tests run);
# `"cpu"`: real CIFAR-10, 10,000 training images, 8 epochs (the committed runs in `figures/paired/` took
# 17-32 minutes per model, one thread each, two side by side on 2 cores);
# `"full"`: the original notebook's recipe (50,000 images, 50 epochs, batch 128), for a GPU: in Baidu
# AI Studio with a GPU and the CIFAR-10 dataset attached, edit the line below to `MODE = "full"`.
# 在 AI Studio 的 GPU 环境中，把下面一行改为 `MODE = "full"` 即可按原课程配方完整训练。

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

setup = course.setup(MODE)
import matplotlib.pyplot as plt
import numpy as np
import paddle

# %% [markdown]
# ## 1. The model · 模型
#
# Five convolutions (11×11 stride 4, 5×5, three 3×3), each followed by ReLU, three 3×3 max-pools, then a
# 1152 → 2048 → 2048 → 10 classifier with dropout 0.5. The package writes the conv stages as a table, `STAGES`
# in `ecapaddle/models/alexnet.py`, one row per stage: (in_channels, out_channels, kernel, stride, padding,
# max-pool after). Here is the whole network built from that table with plain Paddle layers; the names
# `features` and `classifier` are the ones `ecapaddle.AlexNet` uses, so that the weights can be copied between
# the two.
#
# **模型：** 五个卷积层（每层后接 ReLU，其中三层后接 3×3 最大池化），再接 1152 → 2048 → 2048 → 10 的全连接分类器。
# 下面按阶段表 `STAGES` 用 Paddle 基本层写出整个网络。

# %%
import paddle.nn as nn

from ecapaddle.models.alexnet import STAGES


def build_alexnet(num_classes=10, dropout=0.5):
    """AlexNet from STAGES: images [N, 3, 128, 128] -> logits [N, num_classes]."""
    features = []
    for in_channels, out_channels, kernel, stride, padding, pool_after in STAGES:
        features.append(nn.Conv2D(in_channels, out_channels, kernel, stride=stride, padding=padding))
        features.append(nn.ReLU())
        if pool_after:
            features.append(nn.MaxPool2D(3, stride=2))
    classifier = nn.Sequential(
        nn.Linear(128 * 3 * 3, 2048), nn.ReLU(), nn.Dropout(dropout),   # the last map: 128 channels of 3 x 3
        nn.Linear(2048, 2048), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(2048, num_classes),
    )
    return nn.Sequential(("features", nn.Sequential(*features)), ("flatten", nn.Flatten()),
                         ("classifier", classifier))


# %% [markdown]
# The shape after each convolution and each max-pool, for one 128 × 128 image:

# %%
# NBVAL_CHECK_OUTPUT
my_alexnet = build_alexnet()
images = paddle.zeros([1, 3, 128, 128])
for layer in my_alexnet.features:
    images = layer(images)
    if not isinstance(layer, nn.ReLU):
        print(f"{type(layer).__name__:10s} -> {list(images.shape)}")
print(f"{'Flatten':10s} -> {[1, images.size]}: the input of the first Linear")

# %% [markdown]
# Now the check against the package: the same number of parameters, and, after copying the package model's
# weights into ours (`set_state_dict`: the parameter names match), the same logits on the same images, in
# eval mode (dropout off).

# %%
# NBVAL_CHECK_OUTPUT
from ecapaddle import AlexNet, count_parameters

model = AlexNet(num_classes=10)
print(f"build_alexnet(): {count_parameters(my_alexnet):,d} parameters | ecapaddle.AlexNet: "
      f"{count_parameters(model):,d}")
assert count_parameters(my_alexnet) == count_parameters(model)
my_alexnet.set_state_dict(model.state_dict())
my_alexnet.eval()
model.eval()
paddle.seed(0)
images = paddle.randn([4, 3, 128, 128])
np.testing.assert_allclose(my_alexnet(images).numpy(), model(images).numpy(), rtol=1e-5, atol=1e-6)
print("logits of build_alexnet() == logits of ecapaddle.AlexNet (same weights): True")

# %% [markdown]
# AlexNet-ECA (notebook 03) is this network with one ECA layer inserted after each convolution and before its
# ReLU; nothing else changes. **AlexNet-ECA 就是在每个卷积之后、ReLU 之前插入一个 ECA 层，其余不变。**

# %% [markdown]
# ## 2. The training recipe · 训练配方
#
# The original notebook trains with Adam (lr 1e-3, weight decay 1e-5), a cosine learning-rate decay stepped
# every batch over the whole run, label-smoothing cross entropy (ε = 0.1, notebook 01), batch 128 and 50
# epochs on all 50,000 training images, validating on the test split; its published numbers came from one
# such run on a V100. `ecapaddle.recipes` names three presets that share the optimiser and the loss and
# differ in data and budget. `MODE` picks one of them:

# %%
# NBVAL_CHECK_OUTPUT
from ecapaddle.recipes import RECIPES

for recipe in RECIPES.values():
    print(recipe.describe(), end="\n\n")

# %% [markdown]
# `recipe.train_config(seed)` turns a recipe into the `TrainConfig` the engine takes. Fifty epochs of 50,000
# images at 128 px do not fit on a 2-core CPU (the `cpu` recipe's 8 epochs of 10,000 images took 17-32 minutes
# per model in the committed runs, one thread each, two side by side), hence the `cpu` recipe; on a GPU, `full`
# is the original.

# %% [markdown]
# ## 3. A training loop in plain Paddle · 纯 Paddle 训练循环
#
# Before handing over to the package, here is the whole recipe as a plain Paddle loop: a data loader,
# the model, Adam with weight decay, a cosine schedule stepped every batch, label-smoothing cross entropy,
# and per batch: forward, loss, backward, optimizer step, scheduler step, clear the gradients. It runs a
# few steps on this mode's data (the quick mode's synthetic images, or real CIFAR-10).

# %%
from ecapaddle import AlexNet, seed_everything

archive, source = setup.archive()
train_set, val_set, test_set, data_info = course.recipe_datasets(setup.recipe, archive, source)
print(source)
recipe, steps_to_run = setup.recipe, 5
seed_everything(42)                                   # repeatable weights, shuffle order and augmentation

loader = paddle.io.DataLoader(train_set, batch_size=recipe.batch_size, shuffle=True, drop_last=True)
model = AlexNet(num_classes=10)
steps_per_run = len(loader) * recipe.epochs           # the cosine decays over the whole run
scheduler = paddle.optimizer.lr.CosineAnnealingDecay(learning_rate=recipe.lr, T_max=steps_per_run)
optimizer = paddle.optimizer.Adam(learning_rate=scheduler, parameters=model.parameters(),
                                  weight_decay=recipe.weight_decay)
model.train()                                         # dropout on
for step, (images, labels) in enumerate(loader):
    logits = model(images)                            # forward: [B, 10]
    loss = paddle.nn.functional.cross_entropy(logits, labels.reshape([-1]),
                                              label_smoothing=recipe.label_smoothing)
    loss.backward()                                   # gradients
    optimizer.step()                                  # Adam update (with L2 weight decay)
    scheduler.step()                                  # cosine learning rate, per batch
    optimizer.clear_grad()                            # gradients back to zero for the next batch
    print(f"step {step + 1}: loss {float(loss):.4f}, next lr {optimizer.get_lr():.3e}")
    if step + 1 == steps_to_run:
        break

# %% [markdown]
# `ecapaddle.train` runs this same loop (with `ecapaddle.LabelSmoothingCrossEntropy`, equal to Paddle's
# `label_smoothing` as notebook 01 checks) and adds what a real run needs: validation after every epoch,
# best and last checkpoints written atomically, a `history.json`, per-epoch seeds so that an interrupted run
# resumes exactly, a clear error on a NaN loss, AMP on a GPU, several GPUs, and a final evaluation on a
# held-out test set.
#
# ## 4. A live run with `ecapaddle.train` · 用 `ecapaddle.train` 现场训练
#
# `course.live_run` trains AlexNet with this mode's recipe (seed 42) and returns the histories and the
# trained models. In `cpu` and `full` mode the run is kept in the repository's `runs/<mode>/alexnet-seed42`
# (git ignores it, never figures/): after a kernel restart the same cell resumes it from its last finished
# epoch, and once it has finished, this notebook and notebook 04 reuse it instead of training again. In quick mode the data are synthetic (colour and stripe patterns per class: *not*
# CIFAR-10, the accuracies mean nothing about CIFAR-10); in `cpu` and `full` mode it is real CIFAR-10.

# %%
runs = course.live_run(["alexnet"], setup.recipe, seeds=[42], runs_dir=setup.runs, archive=(archive, source))
history = runs.history("alexnet")

# %% [markdown]
# Left: the training loss as logged; right: train (dashed) and validation (solid) accuracy per epoch. Train
# accuracy is measured on augmented images with dropout on, so it can sit below the validation accuracy.

# %%
from ecapaddle.plots import plot_learning_curves
from ecapaddle.report import describe_runs

plot_learning_curves([history], setup.figure("nb02_alexnet_live_curves.png"),
                     title=f"AlexNet, live run, MODE = {MODE!r}: " + describe_runs([history]))
plt.show()

# %% [markdown]
# ## 5. What the `cpu` recipe gave · `cpu` 配方的已提交结果
#
# The repository commits the histories of the paired experiment under `figures/paired/<model>-seed<s>/`:
# the `cpu` recipe (10,000 training images, 5,000 validation images held out of the training split, 8 epochs,
# then the test split once), several seeds, trained on a CPU. They are only read here, never rewritten; what
# they are (data, budget, seeds, machine) is printed from the files themselves. Notebook 04 compares them with
# AlexNet-ECA.

# %%
committed = course.committed_histories("paired", model="alexnet")
if committed:
    print("figures/paired/, AlexNet: " + describe_runs(committed))
    for h in committed:
        print("  " + course.run_summary(h))
    plot_learning_curves(committed, setup.figure("nb02_alexnet_cpu_recipe_curves.png"),
                         title="AlexNet, committed runs: " + describe_runs(committed))
    plt.show()
else:
    print("no committed AlexNet histories in figures/paired/ in this copy of the repository "
          "(they are written by figures/paired/run.sh); only the live run above is shown")

# %% [markdown]
# ## 6. Exercises · 练习
#
# Replace each `...` with your answer, then run the check cell below it. A check asserts: a wrong answer stops
# with an `AssertionError`. Solutions: `notebooks/solutions.md`.
#
# **练习说明：** 把每个 `...` 换成你的答案，再运行下面的检查单元；答错会抛出 `AssertionError`。
#
# **Exercise 1.** The `full` recipe trains on 50,000 images with batch 128 and `drop_last=True` for 50 epochs.
# How many optimizer steps is that in total, i.e. the `T_max` of the cosine schedule? Work it out, then run the
# check, which asks Paddle's own batch sampler.
# **练习 1：** `full` 配方在 50,000 张图像上训练 50 轮，批次大小 128，`drop_last=True`。一共有多少个优化步，
# 也就是余弦调度的 `T_max` 是多少？先自己算出来，再运行检查单元：它直接询问 Paddle 自己的批次采样器。

# %%
full_steps = ...   # your answer: an int

# %%
full = RECIPES["full"]
sampler = paddle.io.BatchSampler(dataset=list(range(50_000)), batch_size=full.batch_size, drop_last=True)
course.check(full_steps, len(sampler) * full.epochs, "Exercise 1: optimizer steps of the full recipe")

# %% [markdown]
# **Exercise 2 (predict, then run).** With `CosineAnnealingDecay(learning_rate=1e-3, T_max=T)`, what is the
# learning rate after exactly T/2 scheduler steps? The check steps a real scheduler with T = 100 and reads its
# current rate with `cosine()` (or `optimizer.get_lr()`). Beware: `scheduler.get_lr()` does not read the rate;
# it is the scheduler's internal update, which applies Paddle's recursive cosine formula to the current rate once
# more, so calling it yourself gives a wrong number.
# **练习 2（先预测再运行）：** 使用 `CosineAnnealingDecay(learning_rate=1e-3, T_max=T)` 时，调度器恰好走了 T/2 步
# 之后学习率是多少？检查单元取 T = 100 实际运行一个调度器，用 `cosine()`（或 `optimizer.get_lr()`）读出当前
# 学习率。注意：`scheduler.get_lr()` 并不读取学习率，它是调度器内部的更新函数，会把 Paddle 的递推余弦公式
# 对当前学习率再应用一次，所以自己调用它会得到错误的数字。

# %%
lr_halfway = ...   # your answer: a float

# %%
cosine = paddle.optimizer.lr.CosineAnnealingDecay(learning_rate=1e-3, T_max=100)
for _ in range(50):
    cosine.step()
course.check(lr_halfway, cosine(), "Exercise 2: the learning rate half way", tolerance=1e-4)

# %% [markdown]
# **Exercise 3 (change one thing, predict, then run).** Feed `build_alexnet()` images of 96 × 96 pixels instead
# of 128 × 128. Follow the shapes of section 1 stage by stage (a conv or max-pool maps a side s to
# (s + 2·padding − kernel) // stride + 1) and predict the length of the flattened feature vector that would reach
# the first `Linear`. The check runs the features on a 96 × 96 image. (What happens next in `build_alexnet()`,
# and what does `ecapaddle.AlexNet` say? Try both.)
# **练习 3（改一处，先预测再运行）：** 给 `build_alexnet()` 输入 96 × 96 而不是 128 × 128 的图像。像第 1 节那样
# 逐级推算形状（卷积或最大池化把边长 s 变成 (s + 2·padding − kernel) // stride + 1），预测展平后送进第一个
# `Linear` 的特征向量有多长。检查单元在一张 96 × 96 的图像上运行特征提取部分。（接下来 `build_alexnet()` 会
# 怎样？`ecapaddle.AlexNet` 又会报告什么？两个都试一试。）

# %%
flat_length_96 = ...   # your answer: an int

# %%
course.check(flat_length_96, build_alexnet().features(paddle.zeros([1, 3, 96, 96])).flatten(1).shape[1],
             "Exercise 3: the flattened features of a 96 x 96 image")

# %% [markdown]
# **Exercise 4 (change one thing, predict, then run).** Swap two layers in every stage of `build_alexnet`: the
# max-pool first, then the ReLU (conv → max-pool → ReLU in stages 1, 2 and 5). With the same weights, do the
# logits change? Answer `True` if they stay the same, `False` if they change, and say why in one sentence. The
# check builds the swapped network, copies the weights of section 1's `my_alexnet` into it (the convolutions keep
# their positions, so the names still match) and compares the logits.
# **练习 4（改一处，先预测再运行）：** 在 `build_alexnet` 的每个阶段交换两层的顺序：先最大池化，再 ReLU
# （第 1、2、5 阶段变成 conv → max-pool → ReLU）。权重相同时，logits 会变吗？不变就回答 `True`，变了就回答
# `False`，并用一句话说明原因。检查单元构建交换后的网络，把第 1 节 `my_alexnet` 的权重复制进去（卷积层的位置
# 不变，所以参数名仍然对得上），再比较 logits。

# %%
same_logits = ...   # your answer: True or False

# %%
swapped_layers = []
for in_channels, out_channels, kernel, stride, padding, pool_after in STAGES:
    swapped_layers.append(nn.Conv2D(in_channels, out_channels, kernel, stride=stride, padding=padding))
    if pool_after:
        swapped_layers.append(nn.MaxPool2D(3, stride=2))
    swapped_layers.append(nn.ReLU())
swapped = nn.Sequential(("features", nn.Sequential(*swapped_layers)), ("flatten", nn.Flatten()),
                        ("classifier", build_alexnet().classifier))
swapped.set_state_dict(my_alexnet.state_dict())
swapped.eval()
paddle.seed(1)
images = paddle.randn([4, 3, 128, 128])
course.check(same_logits, bool(np.allclose(swapped(images).numpy(), my_alexnet(images).numpy(), rtol=1e-5, atol=1e-6)),
             "Exercise 4: the same logits with max-pool before ReLU")

# %% [markdown]
# ## Summary · 本节小结
#
# - AlexNet for 128 px CIFAR-10 is about 20 lines of `nn.Sequential` built from the table of stages, with
#   7,524,042 parameters, exactly the original notebook's, and the same logits as `ecapaddle.AlexNet`.
#   AlexNet-ECA inserts ECA after each convolution, before its ReLU.
# - The recipe is Adam + weight decay, a per-batch cosine schedule and label smoothing; `quick`, `cpu` and
#   `full` share it and differ in data and budget; `full` is the original (50,000 images, 50 epochs).
# - The training loop is six calls per batch in plain Paddle; `ecapaddle.train` adds validation,
#   checkpoints, histories, exact resumption and a final test evaluation.
# - Every mode trains live; `cpu` and `full` keep the run in `runs/<mode>/`, where a kernel restart resumes it
#   and notebook 04 reuses it. The committed `cpu`-recipe runs are only read, and labelled with their data,
#   budget, seeds and machine.
#
# **本节小结：** 按阶段表用约 20 行 `nn.Sequential` 即可写出 AlexNet：7,524,042 个参数，与原课程一致，输出与
# `ecapaddle.AlexNet` 相同；AlexNet-ECA 在每个卷积之后、ReLU 之前插入 ECA。训练配方为 Adam + 权重衰减、按批次更新的余弦
# 学习率、标签平滑；`quick` / `cpu` / `full` 三种预设共用这一配方，只在数据量和训练预算上不同，`full`
# 即原课程配方（50,000 张图像、50 轮）。纯 Paddle 的训练循环每个批次只需六次调用；`ecapaddle.train` 在此之上增加了
# 验证、检查点、训练历史、可精确恢复的训练和最终测试。每种模式都现场训练；`cpu` 和 `full` 的运行保存在 `runs/<mode>/`，内核重启后可继续，04 会直接复用；仓库中已提交的
# `cpu` 配方结果只读展示，并注明其数据、预算、随机种子和机器。
#
# **Next · 下一节:** notebook 03 puts ECA into this network. 第 03 节把 ECA 加入这个网络。

# %%
setup.cleanup()
