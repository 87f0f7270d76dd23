"""Helpers for the course notebooks: the set-up cell, the live training runs and the exercise checks, written once.

A training notebook starts with

    MODE = os.environ.get("ECAPADDLE_MODE", "quick")    # "quick" | "cpu" | "full"
    setup = ecapaddle.course.setup(MODE)                # warnings, plots, CPU threads, scratch directory
    runs = ecapaddle.course.live_run(["alexnet"], setup.recipe, seeds=[42], runs_dir=setup.runs)
    runs.histories                                      # one history dict per (model, seed)

`MODE` names a recipe of `ecapaddle.recipes` ("quick": a tiny synthetic archive, seconds; "cpu": the
reduced real run for a 2-core CPU; "full": the original notebook's recipe, for a GPU). Live runs of
"cpu" and "full" last: they go to the repository's runs/<mode>/<model>-seed<s> (git-ignored), an
interrupted run resumes there, and a finished one is reused by every notebook that asks for it again.
Quick-mode runs go to a temporary directory. Nothing is ever trained into the repository's figures/.
"""
import importlib.util
import math
import os
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .recipes import recipe_datasets  # noqa: F401  (the notebooks call course.recipe_datasets)

MODES = ("quick", "cpu", "full")
MODE_VARIABLE = "ECAPADDLE_MODE"
WORK_DIR_VARIABLE = "ECAPADDLE_WORK_DIR"         # scratch directory (default: a new temporary one)
RUNS_VARIABLE = "ECAPADDLE_RUNS"                 # where live runs of "cpu" and "full" are kept (default: ../runs)
THREADS_VARIABLE = "ECAPADDLE_THREADS"           # CPU threads for Paddle (default: every core)
NOT_ANSWERED = Ellipsis                          # what an exercise's answer holds until the student fills it in

# messages of third-party libraries that say nothing about the course
QUIET_WARNINGS = ("No ccache found", "IProgress not found")


def recipe_label(recipe):
    """One line saying how `recipe` relates to the original notebook's (50,000 images, 50 epochs, batch 128)."""
    from .recipes import RECIPES

    full = RECIPES["full"]
    if recipe.synthetic:
        return (f"QUICK: a tiny SYNTHETIC archive ({recipe.synthetic_train} + {recipe.synthetic_test} images, "
                f"not CIFAR-10: its accuracies say nothing about CIFAR-10), {recipe.epochs} epoch(s)")
    cuts = []
    if recipe.train_subset is not None:
        cuts.append(f"{recipe.train_subset:,} of 50,000 training images")
    if recipe.epochs != full.epochs:
        cuts.append(f"{recipe.epochs} of {full.epochs} epochs")
    if recipe.batch_size != full.batch_size:
        cuts.append(f"batch {recipe.batch_size} instead of {full.batch_size}")
    if recipe.transforms != full.transforms:
        cuts.append(f"'{recipe.transforms}' augmentation instead of '{full.transforms}'")
    protocol = ("validation images held out of the training split, test split evaluated once at the end"
                if recipe.val_from == "train" else "validated on the test split, as the original notebook did")
    if cuts:
        return f"REDUCED real run ({', '.join(cuts)}); {protocol}"
    return f"the original notebook's recipe on real CIFAR-10 (50,000 images, {recipe.epochs} epochs); {protocol}"


@dataclass
class Setup:
    """What a notebook's set-up cell prepared (returned by `setup`).

    Attributes:
        mode: "quick", "cpu" or "full".
        recipe: the notebook's `ecapaddle.recipes.Recipe`: the mode's, unless `setup` was given another.
        work: scratch directory outside the repository (synthetic data, quick-mode runs and figures).
        runs: where `live_run` keeps runs: `work`/runs in quick mode, the repository's runs/ otherwise.
        figures: where the notebook saves its figures: `work` in quick mode, the repository's figures/ otherwise.
        threads: the CPU thread count set for Paddle, None when left alone.
        temporary: whether `work` was created here (then `cleanup` may delete it).
    """
    mode: str
    recipe: object
    work: Path
    runs: Path
    figures: Path
    threads: object = None
    temporary: bool = True
    _archive: object = field(default=None, repr=False)

    @property
    def quick(self):
        return self.mode == "quick"

    def archive(self):
        """(archive path, one-line description) of the data of this mode's recipe; see `recipe_archive`."""
        if self._archive is None:
            self._archive = recipe_archive(self.recipe, self.work)
        return self._archive

    def figure(self, name):
        """The path to save figure `name` (e.g. "nb02_curves.png") at."""
        return self.figures / name

    def cleanup(self):
        """Delete the scratch directory in quick mode (with its runs); the live runs of the other modes stay."""
        if self.quick and self.temporary:
            shutil.rmtree(self.work, ignore_errors=True)
            print("quick mode: the temporary work directory (synthetic data, runs, figures) was deleted")
        else:
            print(f"the live runs (checkpoints, history.json) stay in {shown(self.runs)}/{self.recipe.name}/: "
                  f"running a notebook again reuses them; delete a run's folder to train it again")


def setup(mode=None, figures_dir="../figures", runs_dir="../runs", work_dir=None, threads="all",
          figure_format="png", dpi=80, recipe=None):
    """The common set-up of a course notebook; prints one short report and returns a `Setup`.

    Args:
        mode: "quick", "cpu" or "full" (a recipe of `ecapaddle.recipes`); None = $ECAPADDLE_MODE, else "quick".
        figures_dir: where figures go outside quick mode (relative to the notebook: the repository's figures/).
        runs_dir: where live runs are kept outside quick mode; $ECAPADDLE_RUNS overrides it (relative to the
            notebook: the repository's runs/, which git ignores).
        work_dir: scratch directory; None uses $ECAPADDLE_WORK_DIR or else a new temporary directory.
        threads: "all" gives Paddle every CPU core (`ecapaddle.runtime.use_all_cores`), or $ECAPADDLE_THREADS
            cores when that is set; an int sets that many; None leaves the thread count alone.
        figure_format: inline figure format, "png" or "jpeg" (smaller for photos).
        dpi: inline figure resolution.
        recipe: the notebook's own `Recipe` when it trains with another budget than the mode's (the report shows it).
    """
    from .recipes import get_recipe

    mode = os.environ.get(MODE_VARIABLE, "quick") if mode is None else mode
    if mode not in MODES:
        raise ValueError(f"MODE must be one of {', '.join(repr(m) for m in MODES)}, got {mode!r}")
    for message in QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    _setup_plots(figure_format, dpi)
    used_threads = _setup_threads(threads)
    if work_dir is None and os.environ.get(WORK_DIR_VARIABLE):
        work_dir = os.environ[WORK_DIR_VARIABLE]
    temporary = work_dir is None
    work = Path(tempfile.mkdtemp(prefix="ecapaddle-nb-")) if temporary else Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    figures = work / "figures" if mode == "quick" else Path(figures_dir)
    figures.mkdir(parents=True, exist_ok=True)
    runs = work / "runs" if mode == "quick" else Path(os.environ.get(RUNS_VARIABLE) or runs_dir)
    result = Setup(mode, recipe or get_recipe(mode), work, runs, figures, used_threads, temporary)
    print(describe_setup(result))
    return result


def describe_setup(s):
    """The set-up report: mode and recipe, versions, device, where things go (no local paths)."""
    import matplotlib
    import numpy as np
    import paddle

    from . import __version__

    device = paddle.get_device()
    threads = f", {s.threads} CPU thread(s) for Paddle" if s.threads and not device.startswith("gpu") else ""
    figures = "the temporary work directory" if s.quick else f"{Path(s.figures).as_posix().lstrip('./')}/"
    work = "a new temporary directory outside the repository" if s.temporary else f"${WORK_DIR_VARIABLE}"
    runs = "the temporary work directory" if s.quick else f"{shown(s.runs)}/{s.mode}/ (kept, reused)"
    return "\n".join([
        f"MODE = {s.mode!r}: {recipe_label(s.recipe)}",
        f"python {sys.version.split()[0]}, paddle {paddle.__version__}, numpy {np.__version__}, "
        f"matplotlib {matplotlib.__version__}, ecapaddle {__version__}",
        f"device: {device} (CUDA build: {paddle.is_compiled_with_cuda()}), {os.cpu_count()} CPU cores{threads}",
        f"live runs: {runs}; scratch files: {work}; figures: {figures}",
    ])


def shown(path):
    """`path` as a saved output may show it: relative as it is, absolute as $ECAPADDLE_RUNS or <runs dir>."""
    if Path(path).is_absolute():
        return f"${RUNS_VARIABLE}" if os.environ.get(RUNS_VARIABLE) == str(path) else "<runs dir>"
    return Path(path).as_posix()


def _setup_plots(figure_format, dpi):
    import matplotlib.pyplot as plt

    plt.rcParams["figure.dpi"] = dpi
    if figure_format != "png":
        try:
            from matplotlib_inline.backend_inline import set_matplotlib_formats
        except ImportError:        # not inside Jupyter: nothing to set
            return
        set_matplotlib_formats(figure_format, **({"pil_kwargs": {"quality": 85}} if figure_format == "jpeg" else {}))


def _setup_threads(threads):
    """MKL's fast kernels on AMD CPUs (`ecapaddle.runtime.use_fast_mkl`), then Paddle's CPU thread count: "all"
    cores (or $ECAPADDLE_THREADS when set), an int, or None (left alone). Returns the count set, or None."""
    from . import runtime

    runtime.use_fast_mkl()          # before Paddle's first CPU computation
    if threads == "all" and os.environ.get(THREADS_VARIABLE):
        threads = int(os.environ[THREADS_VARIABLE])
    if threads is None:
        return None
    return runtime.use_all_cores() if threads == "all" else runtime.set_num_threads(threads)


# ---------------------------------------------------------------------------------------------- data

def recipe_archive(recipe, work_dir):
    """(archive path, one-line description) of a recipe's data.

    A synthetic recipe writes its archive into `work_dir` (once; later calls reuse it). Otherwise real
    CIFAR-10 is looked up by `ecapaddle.data.find_cifar10` ($ECAPADDLE_CIFAR10, the AI Studio mount
    data/data152754/cifar-10-python.tar.gz, Paddle's cache); a recipe on real data never falls back to
    synthetic images silently: without an archive it raises `DatasetNotFoundError` saying what to do.
    """
    from .data import DatasetNotFoundError, describe_source, find_cifar10, make_synthetic_cifar10

    if recipe.synthetic:
        path = Path(work_dir) / f"synthetic-{recipe.synthetic_train}-{recipe.synthetic_test}-cifar-10-python.tar.gz"
        if not path.exists():
            make_synthetic_cifar10(path, n_train=recipe.synthetic_train, n_test=recipe.synthetic_test, seed=0)
        archive = str(path)
    else:
        try:
            archive = str(find_cifar10())
        except DatasetNotFoundError as error:
            raise DatasetNotFoundError(
                f"recipe {recipe.name!r} trains on real CIFAR-10, and none was found. In Baidu AI Studio, attach "
                f"the dataset 152754 (CIFAR-10) to the project; elsewhere set ECAPADDLE_CIFAR10 to the path of "
                f"cifar-10-python.tar.gz. Or use MODE = 'quick'.\n{error}") from None
    return archive, describe_source(archive)


# ---------------------------------------------------------------------------------------------- live runs

@dataclass
class LiveRuns:
    """What `live_run` trained.

    Attributes:
        histories: one history dict per run (model-major within each seed, in training order).
        models: {(model name, seed): the trained model (final weights)}.
        train_set, val_set, test_set: the datasets (test_set None under the original protocol).
    """
    histories: list
    models: dict
    train_set: object
    val_set: object
    test_set: object

    def model(self, name, seed=None):
        """The trained model `name` of `seed` (default: the first seed trained)."""
        return self.models[(name, self.history(name, seed)["config"]["seed"])]

    def history(self, name, seed=None):
        """The history of model `name` and `seed` (default: the first seed trained)."""
        runs = [h for h in self.histories if h["model"]["name"] == name and (seed is None or h["config"]["seed"] == seed)]
        if not runs:
            raise KeyError(f"no live run of {name!r}" + ("" if seed is None else f" with seed {seed}"))
        return runs[0]


def live_run(models, recipe, seeds, runs_dir, archive=None, log_every=None, progress=None):
    """Train each model of `models` for each seed with `recipe` (or reuse its finished run); return `LiveRuns`.

    Run `model` of seed `s` lives in runs_dir/<recipe name>/<model>-seed<s>. A finished run there (same config,
    same data) is reused: history read, final weights loaded, nothing trained. An interrupted one resumes from
    its last completed epoch, ending exactly as an uninterrupted run would; a run of another config or data
    is an error (`finished_run`). With VisualDL installed (AI Studio has it), each run logs its curves to
    <run folder>/visualdl. The plan and one summary line per run are printed.

    Args:
        models: model names of `ecapaddle.create` (e.g. ["alexnet", "alexnet_eca"]).
        recipe: a `Recipe` or a recipe name ("quick", "cpu", "full").
        seeds: training seeds; each seeds the model's initial weights and the run's randomness.
        runs_dir: where the runs are kept (`setup.runs`). Never the repository's figures/.
        archive: (path, description) of the data; None uses `recipe_archive(recipe, runs_dir)`.
        log_every: record the training loss every this many batches; None: 10, or 1 when an epoch has
            fewer than 50 batches (so a short run still draws a curve).
        progress: progress bars and a line per epoch while training; None: on except for synthetic recipes
            (then the per-epoch lines are printed after each run).
    """
    from . import seed_everything
    from .engine import load_checkpoint, train
    from .inference import training_evaluator
    from .models import create
    from .recipes import get_recipe
    from .runtime import num_threads

    recipe = get_recipe(recipe)
    seeds = [seeds] if isinstance(seeds, int) else list(seeds)
    if not models or not seeds:
        raise ValueError("live_run needs at least one model and one seed")
    visualdl = importlib.util.find_spec("visualdl") is not None
    path, source = archive if archive is not None else recipe_archive(recipe, runs_dir)
    train_set, val_set, test_set, info = recipe_datasets(recipe, path, source)
    root = Path(runs_dir) / recipe.name
    progress = (not recipe.synthetic) if progress is None else progress
    steps = len(train_set) // recipe.batch_size
    log_every = log_every or (1 if steps < 50 else 10)
    tag = "SYNTHETIC data, meaningless numbers: " if info["kind"].startswith("SYNTHETIC") else ""
    test = f", test {len(test_set):,} (evaluated once at the end)" if test_set is not None else ""
    print(f"recipe {recipe.name}: {recipe_label(recipe)}\ndata: {source}\n"
          f"{len(train_set):,} train / {len(val_set):,} val images{test}; {recipe.epochs} epoch(s) of "
          f"{steps} steps, batch {recipe.batch_size}; models {', '.join(models)}; seeds {seeds}\n"
          f"run folders: {shown(runs_dir)}/{recipe.name}/<model>-seed<s>"
          + (" (VisualDL curves in each run folder's visualdl/)" if visualdl else ""))
    histories, trained = [], {}
    for seed in seeds:
        for name in models:
            seed_everything(seed)                     # before building the model: repeatable initial weights
            trained[(name, seed)] = model = create(name, num_classes=10)
            out = root / f"{name}-seed{seed}"
            config = recipe.train_config(seed, log_every=log_every, progress=progress,
                                         visualdl_dir=str(out / "visualdl") if visualdl else None)
            history = finished_run(out, config, info, test_set is not None)
            start = time.perf_counter()
            if history is not None:
                load_checkpoint(model, out / "last")
                print(f"reused the finished run {shown(runs_dir)}/{recipe.name}/{out.name} "
                      f"(delete that folder to train it again)")
            else:
                history = train(model, train_set, val_set, config, out_dir=out, resume=True, model_name=name,
                                data_info=info, test_set=test_set, evaluator=training_evaluator(num_threads()))
                if not progress:
                    for e in history["epochs"]:
                        print(f"  {tag}{name} seed {seed} epoch {e['epoch']}: train loss {e['train_loss']:.3f} "
                              f"acc {e['train_acc']:.3f} | val loss {e['val_loss']:.3f} acc {e['val_acc']:.3f}")
            histories.append(history)
            print(tag + run_summary(history) + f" ({time.perf_counter() - start:.0f} s)")
    return LiveRuns(histories, trained, train_set, val_set, test_set)


def finished_run(folder, config, data_info, with_test):
    """The history of the finished run in `folder`, None when there is none or it is unfinished; ValueError
    when `folder` holds a run (finished or not) of another config or on other data."""
    from .engine import checkpoint_exists, config_changes, load_history

    if not (folder / "history.json").is_file():
        return None
    history = load_history(folder / "history.json")
    changed = config_changes(config, history["config"])
    changed += [f"data {k}" for k, v in data_info.items() if k != "source" and history["data"].get(k) != v]
    if changed:
        raise ValueError(f"{folder.name} in the runs folder holds a run with another {', '.join(changed)}; "
                         f"delete that folder (or choose another runs folder) to train this one")
    done = len(history["epochs"]) == config.epochs and (history.get("test") is not None or not with_test)
    return history if done and checkpoint_exists(folder / "last") else None


def run_summary(history):
    """One line: model, seed, final and best validation accuracy, and the test accuracy when there is one."""
    last, best = history["epochs"][-1], history["best"]
    line = (f"{history['model']['name']} seed {history['config']['seed']}: final train acc {last['train_acc']:.4f}, "
            f"val acc {last['val_acc']:.4f}; best val acc {best['val_acc']:.4f} (epoch {best['epoch']})")
    test = history.get("test")
    if test:
        line += f"; test acc {test['final']['acc']:.4f} ({test['n']:,} images, final weights)"
    return line


# ---------------------------------------------------------------------------------------------- committed runs

def committed_histories(folder, model=None, figures_dir="../figures"):
    """The histories committed under figures/<folder>/<model>-seed<s>/history.json, sorted by seed.

    Read-only: nothing is trained or written. `model` keeps only that model's runs. Returns [] when the
    folder has none (a fresh clone before they were committed, or a notebook moved elsewhere).
    """
    from .engine import load_history

    base = Path(figures_dir) / folder
    histories = [load_history(p) for p in sorted(base.glob("*-seed*/history.json"))]
    if model is not None:
        histories = [h for h in histories if h["model"]["name"] == model]
    return sorted(histories, key=lambda h: h["config"]["seed"])


# ---------------------------------------------------------------------------------------------- exercises

def smoothed_target_entropy(epsilon, classes):
    """The entropy (nats) of the label-smoothed target: the lowest value the label-smoothing loss can take."""
    if not 0 <= epsilon < 1 or classes < 2:
        raise ValueError(f"need 0 <= epsilon < 1 and classes >= 2, got {epsilon}, {classes}")
    right = 1 - epsilon + epsilon / classes
    wrong = epsilon / classes
    return -right * math.log(right) - (0 if wrong == 0 else (classes - 1) * wrong * math.log(wrong))


def check(answer, expected, what="answer", tolerance=1e-3):
    """An exercise's self-check: assert that `answer` equals `expected` (numbers within `tolerance`, relative).

    While the answer is still `...` (not answered) it only says so; a wrong answer raises AssertionError;
    a right one prints so. Returns nothing (a notebook cell ending with it shows no value).
    """
    if answer is NOT_ANSWERED:
        print(f"{what}: not answered yet. Replace the `...` above with your answer and run the check again "
              f"(solutions: notebooks/solutions.md).")
        return
    if _is_number(answer) and _is_number(expected):
        ok = math.isclose(float(answer), float(expected), rel_tol=tolerance, abs_tol=tolerance * 1e-3)
    else:
        ok = _as_plain(answer) == _as_plain(expected)
    assert ok, f"{what}: your answer {answer!r} is not right; try again (expected value hidden: see solutions.md)"
    print(f"{what}: {answer!r} is right.")


def _is_number(value):
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _as_plain(value):
    """Lists, tuples and arrays compare by their items."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_as_plain(v) for v in value]
    return value
