# %% [markdown]
# # 05 · Ablations: kernel size, adaptive k, ECA vs SE, placement · 消融实验
#
# The ECA paper ([arXiv 1910.03151](https://arxiv.org/abs/1910.03151)) justifies its design with
# ablations on ResNet-50 / ImageNet: the kernel size k (fixed k from 3 to 9 against the adaptive rule),
# the excitation (SE and its variants, Table 2), and where the layer sits. Here the same questions are asked of the course's
# AlexNet on CIFAR-10, with several seeds per configuration so that each difference comes with its spread.
#
# | group | configurations |
# |---|---|
# | kernel size | no attention; ECA with k = 1, 3, 5, 7, 9 in every stage |
# | adaptive vs fixed | the notebook's k (3, 3, 5, 5, 3); the adaptive rule's (3, 5, 5, 5, 5) |
# | excitation | SE (r = 16), SE-Var1, SE-Var2, SE-Var3, SE-GC (16 groups), ECA-NS, circular ECA (CECA) |
# | placement | ECA before ReLU (the notebook) vs after ReLU |
# | control | a constant gate of 0.5 after each conv: the scale of an untrained ECA, without attention |
#
# Why the control: an ECA gate starts near sigmoid(0) = 0.5, so at initialisation AlexNet-ECA is roughly
# AlexNet with every stage's output halved (notebook 03 measures it). A difference between the two could
# come from that change of scale rather than from attention; the constant gate has the scale and nothing else.
#
# All layers come from `ecapaddle.layers`; `AlexNet(attention=factory)` puts `factory(channels, stage)`
# after each convolution.
#
# **本节你将学到：** 在 AlexNet / CIFAR-10 上重做 ECA 论文的消融实验（卷积核大小 k、自适应 k、ECA 与 SE 及其变体、
# ECA 的位置、常数门控对照组）；以及如何诚实地读结果：少量随机种子时用 t 分布的置信区间（而不是 2 倍标准误）、
# 按种子配对的差值、同时比较很多配置时的多重比较问题、以及停留在随机水平（10 %）的失败训练。

# %% [markdown]
# **Choose the mode · 选择模式.** `"quick"`: four configurations for one epoch on a tiny synthetic archive, to
# exercise the code; the statistics sections then read the committed reduced ablation (`figures/ablations/`,
# read-only). `"cpu"`: the committed ablation's reduced real-data budget (3,000 training images, 1,000 validation
# images held out of the training split, 4 epochs, batch 32, seeds 0–2, every configuration: 51 runs of a few
# minutes each on one CPU core); runs found in the committed cache with exactly that budget are read, the others
# are trained into `runs/ablations-cpu/` (kept between sessions: a run finished there is read, not trained
# again). `"full"`: the original notebook's recipe for every configuration and three seeds, for a GPU, trained
# into `runs/ablations-full/` (section 2 prints how many runs that is). The committed cache is never written.
# quick 模式只在合成数据上跑通代码，统计部分读取仓库中已提交的小规模消融结果；`cpu` 和 `full` 模式训练全部配置，
# 每个配置 3 个随机种子，结果保存在 `runs/` 中，已完成的运行不会重复训练。

# %%
import os
MODE = os.environ.get("ECAPADDLE_MODE", "quick")  # "quick" | "cpu" | "full"

# %%
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="IProgress not found")      # tqdm.auto without ipywidgets; bars are off here
try:
    import ecapaddle
except ImportError:                                  # a clone that was not `pip install -e .`-ed (e.g. AI Studio)
    sys.path.insert(0, str(Path.cwd().parent))
    import ecapaddle
from ecapaddle import course
from ecapaddle.recipes import get_recipe

# the budget of each mode, as a recipe (printed below); seeds are the ablation's own
BUDGETS = {
    "quick": (get_recipe("quick", epochs=1), (0, 1)),
    # the committed cache's budget: a run that learns ends far above chance (section 4 prints the range)
    "cpu": (get_recipe("cpu", train_subset=3000, val_subset=1000, epochs=4, batch_size=32, transforms="fast",
                       amp=False), (0, 1, 2)),
    "full": (get_recipe("full"), (0, 1, 2)),
}
if MODE not in BUDGETS:
    raise ValueError(f"MODE must be one of {', '.join(BUDGETS)}, got {MODE!r}")
RECIPE, SEEDS = BUDGETS[MODE]
setup = course.setup(MODE, recipe=RECIPE)            # warnings, plots, CPU threads, a scratch directory
import matplotlib.pyplot as plt
import numpy as np
import paddle
import paddle.nn as nn
from IPython.display import Markdown, display

QUICK = MODE == "quick"
WORK = setup.work                                         # scratch space outside the repo
CACHE = Path("../figures/ablations")                      # the committed ablation: read, never written
RUNS = setup.runs / f"ablations-{MODE}"                   # runs trained here: one history.json per configuration and seed
print(f"mode: {MODE}; seeds {list(SEEDS)}; new runs go to {'a temporary folder' if QUICK else f'runs/{RUNS.name}/'}, "
      f"the committed cache figures/ablations/ is only read")
print(RECIPE.describe())

# %% [markdown]
# ## 1. The configurations · 配置
#
# Placement after ReLU needs no new code: the factory returns `Sequential(ReLU, ECA)`. AlexNet's own ReLU
# then follows, but ECA's output is already non-negative (a ReLU output times a gate in (0, 1)), so that
# second ReLU changes nothing and the stage computes ECA(ReLU(conv(x))).
#
# The control is an ECA with k = 1 whose single weight is fixed at 0: its gate is sigmoid(0) = 0.5 for every
# channel and every image, and it never trains (1 frozen parameter per stage).
# 每个配置都是把 `factory(channels, stage)` 放在 AlexNet 每个卷积之后；常数门控对照组的门控恒为 0.5，不参与训练。

# %%
# NBVAL_CHECK_OUTPUT
from ecapaddle import AlexNet, AlexNetECA, count_parameters
from ecapaddle.layers import CECA, ECA, ECANS, SE, SEGC, SEVar1, SEVar2, SEVar3
from ecapaddle.models.alexnet import NOTEBOOK_ECA_KERNELS

K = NOTEBOOK_ECA_KERNELS                                 # (3, 3, 5, 5, 3), one per conv stage


def constant_half_gate(channels, stage):
    """x * 0.5: an ECA whose only weight is frozen at 0, so its gate is sigmoid(0) everywhere."""
    gate = ECA(channels, kernel_size=1)
    gate.conv.weight.set_value(paddle.zeros_like(gate.conv.weight))
    gate.conv.weight.stop_gradient = True
    return gate


CONFIGS = {                                              # name -> (group, builder of a 10-class model)
    "no attention": ("baseline", lambda: AlexNet()),
    **{f"ECA k={k}": ("kernel size", lambda k=k: AlexNetECA(kernel_sizes=(k,) * 5)) for k in (1, 3, 5, 7, 9)},
    "ECA notebook k": ("adaptive vs fixed", lambda: AlexNetECA()),
    "ECA adaptive k": ("adaptive vs fixed", lambda: AlexNetECA(kernel_sizes="adaptive")),
    "SE r=16": ("excitation", lambda: AlexNet(attention=lambda c, s: SE(c, reduction=16))),
    "SE-Var1": ("excitation", lambda: AlexNet(attention=lambda c, s: SEVar1(c))),
    "SE-Var2": ("excitation", lambda: AlexNet(attention=lambda c, s: SEVar2(c))),
    "SE-Var3": ("excitation", lambda: AlexNet(attention=lambda c, s: SEVar3(c))),
    "SE-GC 16 groups": ("excitation", lambda: AlexNet(attention=lambda c, s: SEGC(c, groups=16))),
    "ECA-NS notebook k": ("excitation", lambda: AlexNet(attention=lambda c, s: ECANS(c, kernel_size=K[s]))),
    "CECA notebook k": ("excitation", lambda: AlexNet(attention=lambda c, s: CECA(c, kernel_size=K[s]))),
    "ECA after ReLU": ("placement", lambda: AlexNet(attention=lambda c, s: nn.Sequential(nn.ReLU(), ECA(c, K[s])))),
    "constant gate 0.5": ("control", lambda: AlexNet(attention=constant_half_gate)),
}
base_params = count_parameters(AlexNet())
x = paddle.zeros([2, 3, 128, 128])
print(f"{'configuration':20s} {'group':18s} {'extra parameters':>16s} {'trainable':>9s}  output")
for name, (group, build) in CONFIGS.items():
    model = build()
    model.eval()
    extra = count_parameters(model) - base_params
    trainable = count_parameters(model, trainable_only=True) - base_params
    print(f"{name:20s} {group:18s} {extra:>16,d} {trainable:>9,d}  {list(model(x).shape)}")

# %% [markdown]
# ## 2. The runs · 训练
#
# Every configuration is trained with the same data, recipe and seeds (printed above). Same seed means the same
# data order and augmentation draws, and the same initial weights in the layers all configurations share (AlexNet
# creates its convolutions and classifier before any attention layer), so two configurations can be compared seed
# by seed. A run of the committed cache (in `cpu` mode) or of `runs/` counts only if its history records exactly
# this budget; everything else is trained now. On the `cpu` budget the accuracies are far below a full training;
# what the ablation can show is whether a difference exceeds the spread between seeds. Quick mode trains four
# configurations for a moment on synthetic data, to exercise the code (section 1 has already built and run
# every configuration once).
# 所有配置使用相同的数据、训练配方和随机种子，因此可以按种子逐一配对比较。

# %%
from collections import Counter

from ecapaddle import seed_everything
from ecapaddle.data import (cifar10_or_synthetic, is_synthetic, load_cifar10_holdout, load_cifar10_splits,
                            validate_cifar10_archive)
from ecapaddle.engine import load_history, save_history, train

archive, source = cifar10_or_synthetic(WORK, synthetic=RECIPE.synthetic, n_train=RECIPE.synthetic_train or 1000,
                                       n_test=RECIPE.synthetic_test or 500)
print(source)
data_kind = validate_cifar10_archive(archive).kind
if RECIPE.val_from == "train":
    train_set, val_set, _ = load_cifar10_holdout(archive, RECIPE.transforms, RECIPE.train_subset,
                                                 RECIPE.val_subset or 5000)
else:
    train_set, val_set = load_cifar10_splits(archive, RECIPE.transforms, RECIPE.train_subset, RECIPE.val_subset)
TO_RUN = ["no attention", "ECA notebook k", "SE-Var2", "constant gate 0.5"] if QUICK else list(CONFIGS)
print(f"{MODE}{' (SYNTHETIC data)' if is_synthetic(archive) else ''}: {len(train_set)} train / {len(val_set)} val "
      f"images, {RECIPE.epochs} epoch(s), batch {RECIPE.batch_size}, seeds {list(SEEDS)}; {len(TO_RUN)} configurations "
      f"x {len(SEEDS)} seeds = {len(TO_RUN) * len(SEEDS)} runs")
if QUICK:
    print(f"(in 'cpu' and 'full' mode: all {len(CONFIGS)} configurations x {len(BUDGETS['full'][1])} seeds = "
          f"{len(CONFIGS) * len(BUDGETS['full'][1])} runs, of {BUDGETS['full'][0].epochs} epochs each in 'full' mode)")


def run_dir(root, name, seed):
    return root / f"{name.replace(' ', '_').replace('=', '')}-seed{seed}"


def same_budget(history):
    """A finished run counts only if it was trained on the same data and budget as asked now."""
    return (history["data"].get("kind") == data_kind and history["data"]["train_size"] == len(train_set)
            and history["data"]["val_size"] == len(val_set) and history["config"]["epochs"] == RECIPE.epochs
            and history["config"]["batch_size"] == RECIPE.batch_size
            and history["data"].get("transforms") == RECIPE.transforms
            and history["data"].get("val_source", "test") == RECIPE.val_from)


def finished_run(name, seed):
    """(where it is read from, history) of this run in the committed cache (`cpu` mode) or in RUNS, if one has
    this budget; (None, None) otherwise."""
    places = [(CACHE, "read from figures/ablations/")] if MODE == "cpu" else []
    for root, where in places + [(RUNS, f"read from runs/{RUNS.name}/")]:
        path = run_dir(root, name, seed) / "history.json"
        history = load_history(path) if path.is_file() else None
        if history is not None and same_budget(history):
            return where, history
    return None, None


HISTORIES, sources, start = [], Counter(), time.perf_counter()
for name in TO_RUN:
    for seed in SEEDS:
        where, history = finished_run(name, seed)
        if history is None:
            config = RECIPE.train_config(seed=seed, progress=False, log_every=1 if QUICK else 5)
            seed_everything(seed)
            history = train(CONFIGS[name][1](), train_set, val_set, config, model_name=name,
                            data_info={"kind": data_kind, "transforms": RECIPE.transforms, "val_source": RECIPE.val_from})
            out = run_dir(RUNS, name, seed)
            out.mkdir(parents=True, exist_ok=True)
            save_history(history, out / "history.json")          # in runs/ (a temporary folder in quick mode)
        HISTORIES.append(history)
        sources[where or "trained now"] += 1
print(f"{len(HISTORIES)} runs: " + ", ".join(f"{n} {where}" for where, n in sources.items())
      + ("" if QUICK else f" ({(time.perf_counter() - start) / 60:.0f} min)"))

# %% [markdown]
# Which runs the statistics below use: in `cpu` and `full` mode the runs of this mode. In quick mode the four
# synthetic configurations say nothing, so the sections below read the **committed reduced ablation** instead
# (when the clone has it): real CIFAR-10 at a small budget, every configuration, three seeds — described from
# the histories themselves. `check_comparable` refuses to average runs whose data, budget or recipe differ.
# quick 模式下合成数据的结果没有意义，因此下面的统计读取已提交的小规模真实数据消融结果。

# %%
from ecapaddle.report import check_comparable, describe_runs

if QUICK:
    for h in HISTORIES:
        print(f"QUICK (synthetic, meaningless): {h['model']['name']:18s} seed {h['config']['seed']}: "
              f"final val acc {h['epochs'][-1]['val_acc']:.3f}")
    committed = [load_history(p) for p in sorted(CACHE.glob("*/history.json"))]
    ANALYSED, WHAT = (committed, "the committed reduced ablation (read-only)") if committed else \
        (HISTORIES, "QUICK runs (synthetic data, meaningless numbers)")
else:
    ANALYSED, WHAT = HISTORIES, f"the runs of mode '{MODE}'"
check_comparable(ANALYSED, allow_val_from_test=True)
ON_TEST = any(h["data"].get("val_source", "test") == "test" for h in ANALYSED)
DESCRIPTION = f"{WHAT}: {describe_runs(ANALYSED)}"
print(DESCRIPTION)
if ON_TEST:
    print("validation images come from the test split; below only final-epoch accuracies are used (no choice is made "
          "on them), but they are not a held-out test")

# %% [markdown]
# ## 3. Results with t intervals · 结果与 t 置信区间
#
# With n seeds, the 95 % confidence interval of a mean is mean ± t₀.₉₇₅,ₙ₋₁ · s / √n, where s is the standard
# deviation over seeds and t comes from Student's t distribution with n − 1 degrees of freedom. For n = 3 that
# t is 4.30, not the 2 of the normal approximation: with a handful of seeds, "± 2 standard errors" claims far
# more certainty than the data give. A single run has no interval at all (never "± 0").
#
# The paired column is the most informative one: for each seed, configuration minus "no attention" (same
# seed, so same data order and augmentation draws), then the t interval of those differences. Runs that ended
# at chance level (validation accuracy within 2 points of 1/10: the network learned nothing) are flagged ⚠:
# they are failures of optimisation, not measurements of the design, and a single one moves a 3-seed mean by
# several points.
#
# 种子很少时，均值的 95 % 置信区间为 mean ± t·s/√n，3 个种子时 t 远大于 2。按种子配对的差值最有用；停在随机水平
# （准确率接近 1/10）的运行标为 ⚠：它们是优化失败，不是对设计的测量。

# %%
from ecapaddle.report import chance_level_runs, format_interval, paired_differences, run_name, t_interval

BASE = "no attention"
by_name = {}
for h in ANALYSED:
    by_name.setdefault(h["model"]["name"], []).append(h)
by_name = {name: by_name[name] for name in CONFIGS if name in by_name}     # section 1's order
AT_CHANCE = set(chance_level_runs(ANALYSED))
base_params = count_parameters(AlexNet())


def paired_points(histories, other, skip=()):
    """Per-seed differences other - BASE in points, leaving out seeds where either run is in `skip`."""
    return [(s, 100 * d) for s, d in paired_differences(histories, BASE, other)
            if f"{BASE}-seed{s}" not in skip and f"{other}-seed{s}" not in skip]


def interval_text(points, confidence=0.95):
    mean, half = t_interval([p for _, p in points], confidence)
    return f"{mean:+.2f} pts (one seed: no interval)" if half is None else \
        f"{mean:+.2f} [{mean - half:+.2f}, {mean + half:+.2f}]"


lines = ["| configuration | group | extra params | runs | final val acc (95 % t interval) | "
         "vs no attention, paired: mean [95 % CI], points | runs at chance |", "|---|---|---|---|---|---|---|"]
for name, runs in by_name.items():
    finals = [h["epochs"][-1]["val_acc"] for h in runs]
    points = paired_points(ANALYSED, name)
    flagged = [run_name(h).rsplit("-", 1)[1] for h in runs if run_name(h) in AT_CHANCE]
    lines.append(f"| {name} | {CONFIGS[name][0]} | {runs[0]['model']['params'] - base_params:,} | {len(runs)} | "
                 f"{format_interval(finals)} | {'—' if name == BASE else interval_text(points) if points else 'no common seed'} | "
                 f"{'⚠ ' + ', '.join(flagged) if flagged else ''} |")
display(Markdown(f"**{DESCRIPTION}**\n\n" + "\n".join(lines)))
print("runs at chance level:", ", ".join(sorted(AT_CHANCE)) or "none")

# %%
names = list(by_name)
colours = dict(zip(dict.fromkeys(CONFIGS[n][0] for n in names), plt.rcParams["axes.prop_cycle"].by_key()["color"]))
fig, ax = plt.subplots(figsize=(10, 4))
seen = set()
for i, name in enumerate(names):
    group = CONFIGS[name][0]
    mean, half = t_interval([h["epochs"][-1]["val_acc"] for h in by_name[name]])
    ax.errorbar(i, mean, yerr=half or 0, fmt="o", ms=7, capsize=4 if half else 0, color=colours[group],
                label=None if group in seen else group)
    seen.add(group)
    for h in by_name[name]:
        chance = run_name(h) in AT_CHANCE
        ax.plot(i + 0.15, h["epochs"][-1]["val_acc"], "rx" if chance else "k.", ms=6 if chance else 4, alpha=0.8)
ax.axhline(t_interval([h["epochs"][-1]["val_acc"] for h in by_name[BASE]])[0], color="grey", lw=1, ls="--")
ax.axhline(0.1, color="red", lw=0.8, ls=":")
ax.set_xticks(range(len(names)), names, rotation=40, ha="right", fontsize=8)
ax.set(ylabel="final val accuracy",
       title="mean and 95 % t interval over seeds; dots: single runs (red x: at chance level, red dotted: 1/10); "
             "dashed: no attention\n" + DESCRIPTION[:160] + ("..." if len(DESCRIPTION) > 160 else ""))
ax.title.set_fontsize(8)
ax.legend(fontsize=8)
ax.grid(axis="y", alpha=0.3)
fig.tight_layout()
fig.savefig(setup.figure("nb05_ablations.png"), dpi=100, bbox_inches="tight")   # figures/ outside quick mode
plt.show()

# %% [markdown]
# ## 4. What this budget can say · 这个预算能说明什么
#
# A configuration is "better" or "worse" than no attention only when the whole 95 % t interval of its paired
# differences lies on one side of zero. Whether an interval *can* do that is decided by the budget before any run
# is trained: a short training on a small subset (the cell counts its optimizer steps) leaves the network far from
# trained (the cell prints its accuracies, against about 0.5 for the `cpu` recipe of notebooks 02-04), and the
# seed — data order, augmentation, dropout, and the attention layer's own initial weights — moves the final
# accuracy by points, while the paper's excitation designs (ResNet-50 on ImageNet, its Table 2) differ by tenths of
# a point. The cell compares the two: the width of this budget's intervals and the paper's gaps.

# %%
PAPER_TABLE2 = {"SE": 76.71, "SE-Var2": 77.07, "ECA-NS": 77.35, "SE-Var3": 77.42, "ECA (k = 3)": 77.43}  # top-1, %
OTHERS = [name for name in by_name if name != BASE]
finals = [h["epochs"][-1]["val_acc"] for h in ANALYSED]
halves = [half for half in (t_interval([p for _, p in paired_points(ANALYSED, n)])[1]
                            for n in OTHERS if paired_points(ANALYSED, n)) if half is not None]
paper_gap = max(PAPER_TABLE2.values()) - min(PAPER_TABLE2.values())
budget = ANALYSED[0]
steps = budget["data"]["train_size"] // budget["config"]["batch_size"] * budget["config"]["epochs"]
learned = [h["epochs"][-1]["val_acc"] for h in ANALYSED if run_name(h) not in AT_CHANCE] or finals
print(f"{WHAT}: {budget['data']['train_size']:,} training images, {budget['config']['epochs']} epoch(s), {steps} "
      f"optimizer steps per run; {len(AT_CHANCE)} of {len(finals)} runs at chance level (0.10), the final validation "
      f"accuracies of the others {min(learned):.2f} to {max(learned):.2f}")
base_finals = [h["epochs"][-1]["val_acc"] for h in by_name[BASE]]
if len(base_finals) > 1:
    print(f"seed-to-seed standard deviation of '{BASE}': {100 * np.std(base_finals, ddof=1):.2f} points "
          f"({len(base_finals)} seeds)")
print(f"largest gap between the paper's excitation designs ({', '.join(PAPER_TABLE2)}): {paper_gap:.2f} points")
if halves:
    print(f"half width of the paired 95 % intervals here: {min(halves):.1f} to {max(halves):.1f} points "
          f"(median {np.median(halves):.1f})")
    print("=> " + ("this budget cannot distinguish the configurations: a typical half width is "
                   f"{np.median(halves) / paper_gap:.0f} times the largest difference the paper reports, so an interval "
                   "that contains zero below means 'not measurable at this budget', not 'no difference'"
                   if np.median(halves) > paper_gap else
                   "the intervals are narrower than the paper's largest gap: differences of that size can show below"))

# %% [markdown]
# 这个预算（很少的图像、很少的轮数）下网络远未训练好（准确率见上一单元的输出），随机种子带来的波动有几个百分点，
# 而论文中各种激励设计之间只差零点几个百分点。因此在这个预算下，区间包含 0 只说明"测不出来"，不说明"没有差别"。
#
# **Many comparisons · 多重比较.** The table compares over a dozen configurations with the same baseline. Even if
# none of them had any effect, each 95 % interval misses zero with probability 5 %, so the chance that *at least
# one* of M independent comparisons looks "significant" is 1 − 0.95ᴹ (printed below for this table's M). The
# simplest guard is Bonferroni's: use 1 − 0.05 / M intervals for each comparison, which keeps the chance of any false
# alarm under 5 %. Below, a verdict is shown only where an interval excludes zero ("·" where it contains zero), at
# 95 %, with Bonferroni, and at 95 % without the chance-level runs.
# 同时比较 M 个配置时，即使它们都没有效果，至少一个 95 % 区间不含 0 的概率也是 1 − 0.95ᴹ；Bonferroni 校正对每个比较
# 使用 1 − 0.05/M 的区间。

# %%
def verdict(points, confidence):
    mean, half = t_interval([p for _, p in points], confidence)
    if half is None:
        return "one seed"
    low, high = mean - half, mean + half
    return "better" if low > 0 else "worse" if high < 0 else "·"


M = len(OTHERS)
BONFERRONI = 1 - 0.05 / M
print(f"{M} configurations compared with '{BASE}'; chance of at least one false alarm at 95 % each: "
      f"{1 - 0.95 ** M:.0%}; Bonferroni: {BONFERRONI:.4f} intervals each\n")
print(f"{'configuration':20s} {'paired diff, 95 % CI (points)':32s} {'95 %':8s} {'Bonferroni':11s} without chance-level runs")
VERDICTS = {}
for name in OTHERS:
    points = paired_points(ANALYSED, name)
    if not points:
        print(f"{name:20s} no common seed with {BASE}")
        continue
    clean = paired_points(ANALYSED, name, skip=AT_CHANCE)
    VERDICTS[name] = (verdict(points, 0.95), verdict(points, BONFERRONI))
    print(f"{name:20s} {interval_text(points):32s} {VERDICTS[name][0]:8s} {VERDICTS[name][1]:11s} "
          + ("(same runs)" if clean == points else f"{verdict(clean, 0.95)} ({len(clean)} seeds)" if clean else "no seed left"))
print(f"\nintervals that exclude zero: {sum(v[0] in ('better', 'worse') for v in VERDICTS.values())} of {len(VERDICTS)} "
      f"at 95 %, {sum(v[1] in ('better', 'worse') for v in VERDICTS.values())} with Bonferroni")
if {"ECA notebook k", "constant gate 0.5"} <= set(by_name):
    points = [(s, 100 * d) for s, d in paired_differences(ANALYSED, "constant gate 0.5", "ECA notebook k")]
    if points:
        scale = verdict(points, 0.95)
        print(f"attention beyond the change of scale (ECA notebook k - constant gate 0.5): {interval_text(points)} "
              f"points: " + ("the interval contains zero" if scale == "·" else scale))

# %% [markdown]
# ## 5. Exercises · 练习
#
# Replace each `...` with your code, then run the check cell below it. A check asserts: a wrong answer stops with an
# `AssertionError`; an unanswered one only says so. Solutions: `notebooks/solutions.md`.
#
# **练习说明：** 把每个 `...` 换成你的代码，再运行下面的检查单元；答错会抛出 `AssertionError`。

# %%
import paddle.nn.functional as F

from ecapaddle import course
from ecapaddle.report import t_quantile     # for exercise 2

# %% [markdown]
# **Exercise 1 (write SE-Var2 from primitives).** SE-Var2 gives every channel its own weight and lets no channel see
# another: gate_c = sigmoid(w_c · y_c), y_c the mean of channel c. Write `se_var2(x, weight)` with Paddle
# primitives (a mean, a multiply, `F.sigmoid`): x [N, C, H, W] and `weight` [C] give x · gate. The check gives your
# function the weights of an `ecapaddle.layers.SEVar2` layer (set to random values) and counts the output elements
# that equal the layer's. Then compare, in section 1's table, its parameters with ECA's: which one lets
# neighbouring channels interact?
# **练习 1（用基本算子写 SE-Var2）：** SE-Var2 给每个通道一个自己的权重，任何通道都看不到其他通道：
# gate_c = sigmoid(w_c · y_c)，其中 y_c 是通道 c 的均值。用 Paddle 基本算子（求均值、乘法、`F.sigmoid`）写出
# `se_var2(x, weight)`：由 x [N, C, H, W] 和 `weight` [C] 得到 x · gate。检查单元把一个 `ecapaddle.layers.SEVar2`
# 层的权重（已设为随机值）交给你的函数，统计输出中与该层输出相等的元素个数。然后在第 1 节的表中比较它和 ECA 的
# 参数个数：哪一个让相邻通道之间有交互？

# %%
def se_var2(x, weight):
    """SE-Var2: x [N, C, H, W], one weight per channel [C] -> x * sigmoid(weight * channel means), [N, C, H, W]."""
    return ...   # your code


# %%
paddle.seed(2)
se_layer = SEVar2(16)
se_layer.weight.set_value(paddle.randn([16]))           # not the initial 1s: every channel its own weight
x_test = paddle.randn([2, 16, 5, 5])
expected = se_layer(x_test).numpy()
yours = se_var2(x_test, se_layer.weight)
equal = ... if yours is ... else int(np.isclose(yours.numpy(), expected, rtol=1e-5, atol=1e-6).sum())
course.check(equal, expected.size, f"Exercise 1: elements of your output equal to SEVar2's (of {expected.size})",
             tolerance=0)

# %% [markdown]
# **Exercise 2 (simulate the false alarms).** Section 4 says that M comparisons with no effect at all give at least
# one interval that excludes zero with probability 1 − 0.95ᴹ. Check it by simulation: write
# `false_alarm_rate(m, seeds=3, trials=20_000, seed=0)`, which draws, `trials` times, m configurations of `seeds`
# paired differences from a standard normal distribution (no effect), computes each configuration's 95 % t
# interval (`t_quantile(0.975, seeds - 1)`) and returns the fraction of trials in which at least one interval
# excludes zero. The check compares your rate with 1 − 0.95ᵐ for m = 1 and for this notebook's M, within 0.015.
# **练习 2（模拟误报）：** 第 4 节说，M 个完全没有效果的比较中，至少有一个区间不含 0 的概率是 1 − 0.95ᴹ。用模拟来
# 验证：写出 `false_alarm_rate(m, seeds=3, trials=20_000, seed=0)`，它重复 `trials` 次，每次为 m 个配置各从标准正态
# 分布抽取 `seeds` 个配对差值（即没有效果），计算每个配置的 95 % t 置信区间（`t_quantile(0.975, seeds - 1)`），
# 返回至少有一个区间不含 0 的试验所占的比例。检查单元对 m = 1 和本节的 M，把你的比例与 1 − 0.95ᵐ 比较，
# 允许相差 0.015。

# %%
def false_alarm_rate(m, seeds=3, trials=20_000, seed=0):
    """Fraction of `trials` in which at least one of m no-effect comparisons has a 95 % t interval without zero."""
    return ...   # your code: a float


# %%
for m in (1, M):
    rate = false_alarm_rate(m)
    course.check(rate, 1 - 0.95 ** m, f"Exercise 2: the simulated false-alarm rate for m = {m}",
                 tolerance=0.015 / (1 - 0.95 ** m))          # within 0.015

# %% [markdown]
# **Exercise 3 (write the pairing).** Write `my_paired(histories, base, other)`: for every seed that both
# configurations were trained with, the final validation accuracy of `other` minus that of `base`, as a list of
# `(seed, difference)` sorted by seed. A history `h` names its configuration in `h["model"]["name"]`, its seed in
# `h["config"]["seed"]` and its final validation accuracy in `h["epochs"][-1]["val_acc"]`. The check compares your
# function with `ecapaddle.report.paired_differences` for every configuration of section 3's table. (Why is the
# interval of the paired differences usually narrower than the two configurations' own intervals?)
# **练习 3（写出配对差值）：** 写出 `my_paired(histories, base, other)`：对两个配置都训练过的每个随机种子，计算
# `other` 的最终验证集准确率减去 `base` 的最终验证集准确率，返回按随机种子排序的 `(seed, difference)` 列表。
# 一条训练记录 `h` 的配置名在 `h["model"]["name"]` 中，随机种子在 `h["config"]["seed"]` 中，最终验证集准确率在
# `h["epochs"][-1]["val_acc"]` 中。检查单元对第 3 节表中的每个配置，把你的函数与 `ecapaddle.report.paired_differences`
# 比较。（为什么配对差值的置信区间通常比两个配置各自的区间窄？）

# %%
def my_paired(histories, base, other):
    """[(seed, final val acc of `other` - final val acc of `base`), ...] for the seeds both have, sorted by seed."""
    return ...   # your code: a list of (int, float) pairs


# %%
def same_pairs(a, b):
    return len(a) == len(b) and all(s == t and np.isclose(x, y) for (s, x), (t, y) in zip(a, b))


agree = ... if my_paired(ANALYSED, BASE, OTHERS[0]) is ... else \
    sum(same_pairs(my_paired(ANALYSED, BASE, name), paired_differences(ANALYSED, BASE, name)) for name in OTHERS)
course.check(agree, len(OTHERS), f"Exercise 3: configurations where your pairing equals paired_differences "
             f"(of {len(OTHERS)})", tolerance=0)

# %% [markdown]
# ## Summary · 本节小结
#
# - The paper's ablations — kernel size, adaptive k, SE and its variants, ECA-NS, circular ECA, placement — and
#   a constant-gate control, trained on AlexNet / CIFAR-10 with the same data, budget and seeds.
# - With 2–3 seeds, intervals come from the t distribution (t = 4.30 for 3 seeds), differences are paired by
#   seed, a dozen comparisons need a correction (Bonferroni) or at least a caveat, and runs stuck at chance
#   level are flagged and their influence shown.
# - The committed budget is too small to distinguish the configurations: its intervals are many times wider than
#   the gaps between the paper's designs (section 4 computes both), so an interval containing zero says "not
#   measurable here", not "no difference".
# - A run can fail at any budget: a network whose loss never leaves ln 10 learned nothing, and the same
#   configuration learns with the other seeds. Leaving such a run out is a choice to state, not a correction: with
#   two seeds left an interval can exclude zero, and one interval in a dozen comparisons doing so is what chance
#   alone gives (section 4 prints that probability).
#
# **本节小结：** 我们在 AlexNet / CIFAR-10 上用相同的数据、预算和随机种子重做了论文的消融实验（k 的大小、自适应 k、
# SE 及其变体、ECA-NS、循环填充 ECA、位置）并加入常数门控对照组。只有 2–3 个种子时，置信区间要用 t 分布（3 个种子时
# t = 4.30）；差值要按种子配对；同时比较十几个配置时要做校正（Bonferroni）或至少说明多重比较的风险；停留在随机
# 水平的失败训练要标出来并说明它们的影响。已提交的小预算消融实验区分不了这些配置：它的置信区间比论文中各设计之间的
# 差距宽很多倍（第 4 节计算了两者），区间包含 0 只说明"在这个预算下测不出来"，不说明"没有差别"。任何预算下都可能有
# 失败的训练（损失始终停在 ln 10），同一配置换一个随机种子就能正常学习；去掉这样的运行是需要说明的选择，而不是修正：
# 只剩两个种子时区间可能不含 0，而十几个比较中出现一个这样的区间，正是偶然就会发生的事（第 4 节打印了这个概率）。
#
# **Next · 下一节:** notebook 06 puts ECA into a network of your own. 第 06 节把 ECA 加进你自己的网络。

# %%
setup.cleanup()
