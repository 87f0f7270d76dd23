"""Command line of ecapaddle: `python -m ecapaddle COMMAND --help` for each command.

An error the user can fix ends in one line `error: ...`, exit code 2 for a bad command line, 1 otherwise
and 130 on Ctrl-C; `--debug` shows the traceback instead."""
import argparse
import dataclasses
import importlib.util
import json
import math
import shlex
import sys
import tempfile
from pathlib import Path

DEFAULT_RECIPE = ("full", dict(name="default", val_from="train", num_workers=0))
DYNAMIC_HELP = ("run the model in dynamic mode instead of through a Paddle Inference predictor (the CPU default, with "
                "one thread per available core; a GPU always uses dynamic mode)")
DRY_RUN_STEPS = 3                       # training steps per epoch of --dry-run's two timed epochs
# Recipe fields that a command-line flag of the same name overrides (--workers: num_workers)
RECIPE_FLAGS = ("train_subset", "val_from", "val_subset", "transforms", "epochs", "batch_size", "lr", "weight_decay",
                "label_smoothing", "num_workers")


class CLIError(Exception):
    """An error the user can fix; `main` prints it as one line and returns `code`."""
    code = 1


class UsageError(CLIError):
    """A bad command line."""
    code = 2


class Parser(argparse.ArgumentParser):
    """argparse with its errors raised as UsageError (one line, exit code 2)."""

    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def at_least(convert, low, strict=False):
    """An argparse type: `convert(text)`, a finite number >= low (> low with `strict`)."""
    what = "an integer" if convert is int else "a number"

    def parse(text):
        value = convert(text)
        if not (math.isfinite(value) and (value > low if strict else value >= low)):
            raise argparse.ArgumentTypeError(f"must be {what} {'>' if strict else '>='} {low}, got {text}")
        return value
    return parse


positive_int, non_negative_int = at_least(int, 1), at_least(int, 0)
positive_float, non_negative_float = at_least(float, 0, strict=True), at_least(float, 0)


def count_or_auto(text):
    return text if text == "auto" else positive_int(text)


def add_common_options(p):
    """--threads and --debug, accepted before the command and after it."""
    p.add_argument("--threads", type=count_or_auto, default=argparse.SUPPRESS, metavar="N|auto",
                   help="CPU threads of Paddle's kernels (default: $OMP_NUM_THREADS when set, else auto: every core this "
                        "process may run on)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the traceback of an error instead of one line")


def add_data_arguments(p):
    from .data.cifar10 import HOLDOUT
    from .recipes import RECIPES

    g = p.add_argument_group("recipe and data (flags left out take the recipe's values)")
    g.add_argument("--recipe", choices=tuple(RECIPES),
                   help=f"named preset of ecapaddle/recipes.py (quick: seconds; cpu: for a 2-core CPU; full: the "
                        f"original notebook, for a GPU). Default: full's numbers with --val-from train and --workers 0")
    g.add_argument("--quick", action="store_true", help="the same as --recipe quick")
    g.add_argument("--dry-run", action="store_true", help="print the plan and an estimated time; write nothing")
    g.add_argument("--data", metavar="PATH", help="cifar-10-python.tar.gz (default: $ECAPADDLE_CIFAR10, the AI "
                   "Studio mount data/data152754/, Paddle's cache; without any, a synthetic archive)")
    g.add_argument("--train-subset", type=positive_int, metavar="N", help="stratified subset of N training images")
    g.add_argument("--val-from", choices=("train", "test"),
                   help="'train' holds --val-subset images out of the training split and evaluates the test split "
                        "once at the end; 'test' validates on the test split (the original notebook's protocol)")
    g.add_argument("--val-subset", type=positive_int, metavar="N",
                   help=f"N stratified validation images (with --val-from train default {HOLDOUT}, with "
                        f"--val-from test default the whole test split)")
    g.add_argument("--transforms", choices=("notebook", "fast"), help="augmentation preset")


def add_train_arguments(p):
    from .launcher import PROCS_HELP

    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=positive_int)
    g.add_argument("--batch-size", type=positive_int)
    g.add_argument("--lr", type=positive_float)
    g.add_argument("--weight-decay", type=non_negative_float)
    g.add_argument("--label-smoothing", type=non_negative_float)
    g.add_argument("--mixup", type=non_negative_float, default=0.0, metavar="ALPHA",
                   help="batch-level mixup with Beta(ALPHA, ALPHA); 0 = off, as in the notebook's real runs")
    g.add_argument("--workers", dest="num_workers", type=non_negative_int, help="DataLoader worker processes")
    g.add_argument("--procs", type=count_or_auto, default=1, metavar="N|auto", help=PROCS_HELP)
    g.add_argument("--no-progress", action="store_true", help="no tqdm progress bars")
    g.add_argument("--visualdl", metavar="DIR", help="log the curves of each run to DIR/<run folder> with VisualDL "
                   "(pip install visualdl; view with `visualdl --logdir DIR`)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: a new one, runs/<command>, "
                   "runs/<command>2, ...)")
    p.add_argument("--resume", action="store_true", help="continue the run(s) in --out from the last checkpoint; "
                   "pass the options of the interrupted run")
    p.add_argument("--force", action="store_true", help="write into an --out that holds a run "
                   "(files of the same name are replaced; nothing else is deleted)")


def resolve_recipe(args):
    """The recipe of --recipe / --quick (else DEFAULT_RECIPE) with the explicit flags' values in place of its own."""
    from .recipes import get_recipe

    if args.quick and args.recipe not in (None, "quick"):
        raise UsageError(f"--quick means --recipe quick; pass --quick or --recipe {args.recipe}, not both")
    name, overrides = (args.recipe or "quick", {}) if args.quick or args.recipe else DEFAULT_RECIPE
    overrides = {"name": name, **overrides, **{field: getattr(args, field) for field in RECIPE_FLAGS
                                               if getattr(args, field) is not None}}
    try:
        recipe = dataclasses.replace(get_recipe(name), **overrides)
        return dataclasses.replace(recipe, synthetic=recipe.synthetic and args.data is None)   # --data: real data
    except ValueError as error:
        raise UsageError(str(error)) from None


def synthetic_sizes(recipe):
    """(training, test) images of a synthetic archive on which `recipe` can run."""
    if recipe.synthetic_train:
        return recipe.synthetic_train, recipe.synthetic_test
    if recipe.val_from == "test":
        return max(5000, recipe.train_subset or 0), max(1000, recipe.val_subset or 0)
    return max(5000, (recipe.train_subset or 5000) + recipe.val_size), 1000


def output_dir(args, default):
    """--out after checking it may be used, or (without --out) the first free `default`, `default`2, ..."""
    from .utils import first_free_dir

    if args.out is None:
        if args.resume:
            raise UsageError("--resume needs --out DIR: the folder of the run to continue")
        return first_free_dir(default)
    path = Path(args.out)
    in_use = path.exists() and not (path.is_dir() and not any(path.iterdir()))
    if args.resume and not in_use:
        raise CLIError(f"nothing to resume in {path}: it holds no run; leave out --resume to start one there")
    if in_use and not (args.force or args.resume):
        raise CLIError(f"output directory {path} already exists and is not empty; leave out --out to write into a new "
                       f"folder, choose another --out, pass --resume to continue the run there, or --force to write "
                       f"into it")
    return path


def load_data(args, recipe, workdir):
    """`recipe_datasets` of `recipe` on --data, the archive `find_cifar10` finds or a synthetic one in `workdir`
    (`cifar10_or_synthetic`); the loaders refuse subsets larger than the archive before anything is written."""
    from .data import cifar10_or_synthetic
    from .recipes import recipe_datasets

    archive, source = cifar10_or_synthetic(workdir, recipe.synthetic, args.data, *synthetic_sizes(recipe))
    datasets = recipe_datasets(recipe, archive, source)
    if not recipe.synthetic and Path(archive).parent == Path(workdir):
        datasets[3]["stand_in"] = True      # generated because no CIFAR-10 was found
    if recipe.batch_size > len(datasets[0]):
        raise UsageError(f"--batch-size {recipe.batch_size} is larger than the {len(datasets[0]):,} training images; "
                         f"pass --batch-size {len(datasets[0])} or less")
    print(f"data: {datasets[3]['source']}")
    return datasets


def run_one(model_name, args, recipe, seed, datasets, out_dir):
    from .engine import train
    from .inference import training_evaluator
    from .models import create
    from .utils import seed_everything

    train_set, val_set, test_set, data_info = datasets
    print(f"== {model_name}, seed {seed}: {data_info['kind']}, {len(train_set)} train / {len(val_set)} val "
          f"images, {recipe.epochs} epochs, batch {recipe.batch_size} -> {out_dir}")
    seed_everything(seed)       # the same initial weights for the same seed
    model = create(model_name, num_classes=10)
    config = recipe.train_config(seed, mixup_alpha=args.mixup, progress=not args.no_progress,
                                 visualdl_dir=str(Path(args.visualdl) / Path(out_dir).name) if args.visualdl else None)
    return train(model, train_set, val_set, config, out_dir=out_dir, resume=args.resume,
                 overwrite=args.force, model_name=model_name, data_info=data_info, test_set=test_set,
                 evaluator=training_evaluator(args.cpu_threads))


def time_steps(model_name, train_set, val_set, recipe):
    """Seconds per training step of `model_name` with `recipe`, data loading included: the engine trains it for
    two epochs of DRY_RUN_STEPS steps (validating on one batch), and the second epoch is timed."""
    import paddle

    from .engine import train
    from .models import create

    images = min(len(train_set), DRY_RUN_STEPS * recipe.batch_size)
    history = train(create(model_name, num_classes=10), paddle.io.Subset(train_set, range(images)),
                    paddle.io.Subset(val_set, range(min(len(val_set), recipe.batch_size))),
                    dataclasses.replace(recipe.train_config(progress=False), epochs=2))
    return recipe.batch_size / history["epochs"][1]["train_img_s"]


def format_duration(seconds):
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min" if seconds >= 60 \
        else f"{seconds:.0f} s"


def planned_images(recipe, datasets):
    """(training, validation) images per epoch of the plan: those loaded, or, when a synthetic archive stands in
    for a missing CIFAR-10, what the recipe takes from the official archive (50,000 training, 10,000 test)."""
    from .data.cifar10 import OFFICIAL_SIZES

    train_set, val_set, _, data_info = datasets
    if not data_info.get("stand_in"):
        return len(train_set), len(val_set)
    if recipe.val_from == "test":
        return recipe.train_subset or OFFICIAL_SIZES["train"], recipe.val_size or OFFICIAL_SIZES["test"]
    return recipe.train_subset or OFFICIAL_SIZES["train"] - recipe.val_size, recipe.val_size


def dry_run(args, recipe, datasets, runs):
    """Print the plan of `runs` [(model name, seed, folder)] on `datasets` with an estimated time; write nothing."""
    train_set, val_set = datasets[:2]
    n_train, n_val = planned_images(recipe, datasets)
    stand_in = datasets[3].get("stand_in", False)
    print("dry run: nothing is trained or written\n" + recipe.describe())
    if args.mixup:
        print(f"  mixup alpha {args.mixup:g}")
    print(f"images per epoch: {n_train:,} training, {n_val:,} validation"
          + (" (the recipe on CIFAR-10; without an archive the command would train on the synthetic stand-in)"
             if stand_in else ""))
    steps = n_train // recipe.batch_size * recipe.epochs
    print(f"steps: {n_train // recipe.batch_size:,} per epoch x {recipe.epochs} epochs = {steps:,} per run")
    print(f"runs ({len(runs)}):")
    for name, seed, folder in runs:
        print(f"  {name}, seed {seed} -> {folder}")
    total = 0.0
    for name in dict.fromkeys(name for name, _, _ in runs):
        per_step = time_steps(name, train_set, val_set, recipe)
        total += per_step * steps * sum(run[0] == name for run in runs)
        print(f"estimated time of {name}: {per_step:.2f} s per step (data loading included; the second of two "
              f"training epochs of {DRY_RUN_STEPS} steps{' on the synthetic stand-in' if stand_in else ''}, CPU "
              f"threads: {args.cpu_threads}) -> {format_duration(per_step * steps)} per run")
    print(f"estimated time in all: {format_duration(total)} for {len(runs)} run(s), validation passes not included")


def train_runs(args, default, runs, finish):
    """Train `runs` [(model name, seed, folder in the output folder)] as `args` ask, then call
    finish(histories, recipe, output folder); a dry run only prints the plan, --procs N hands it all to N workers."""
    from .launcher import launch_workers, needs_launch
    from .runtime import available_cores
    from .utils import first_free_dir

    recipe = resolve_recipe(args)
    if args.visualdl and importlib.util.find_spec("visualdl") is None:
        raise UsageError("--visualdl needs VisualDL: pip install visualdl (Baidu AI Studio has it), or leave it out")
    out = output_dir(args, default)
    with tempfile.TemporaryDirectory() as workdir:      # a synthetic archive is needed only while loading
        datasets = load_data(args, recipe, workdir)
    if args.dry_run:
        return dry_run(args, recipe, datasets, [(name, seed, out / folder) for name, seed, folder in runs])
    # claim a fresh folder again: another run may have taken the one chosen above meanwhile
    out = args.run_dir = first_free_dir(default, create=True) if args.out is None else out
    out.mkdir(parents=True, exist_ok=True)
    procs = available_cores() if args.procs == "auto" else args.procs
    if needs_launch(procs):
        del datasets        # the workers load their own
        return launch_workers(args.argv, procs, out, recipe.batch_size)
    finish([run_one(name, args, recipe, seed, datasets, out / folder) for name, seed, folder in runs], recipe, out)


def cmd_train(args):
    def finish(histories, recipe, out):
        last, best = histories[0]["epochs"][-1], histories[0]["best"]
        print(f"final train acc {last['train_acc']:.4f}, val acc {last['val_acc']:.4f}; "
              f"best val acc {best['val_acc']:.4f} (epoch {best['epoch']}); files in {out}")

    return train_runs(args, f"runs/train-{args.model}", [(args.model, args.seed, ".")], finish)


def cmd_compare(args):
    def finish(histories, recipe, out):
        write_report({out / folder / "history.json": h for (_, _, folder), h in zip(runs, histories)}, out,
                     allow_val_from_test=recipe.val_from == "test")
        print(f"one folder per run in {out}")

    runs = [(name, seed, f"{name}-seed{seed}") for seed in args.seeds for name in args.models]
    return train_runs(args, "runs/compare", runs, finish)


def write_report(runs, out, allow_val_from_test=False):
    """table.md, table.csv and learning_curves.png in `out` from {history.json path: history}; prints the table."""
    from .report import load_predictions, write_report as write

    print("\n" + write(list(runs.values()), out, allow_val_from_test, predictions=load_predictions(runs)))
    print(f"wrote table.md, table.csv, learning_curves.png in {out}")


def history_files(run):
    """The history.json of a run folder, those of the run folders inside a folder (compare's), or `run` itself."""
    path = Path(run)
    if not path.is_dir():
        return [path]
    if (path / "history.json").is_file():
        return [path / "history.json"]
    found = sorted(path.glob("*/history.json"))
    if not found:
        raise CLIError(f"{path} holds no history.json, nor do its subfolders: pass run folders written by "
                       f"train/compare, or their history.json files")
    return found


def cmd_report(args):
    from .engine import load_history
    from .report import check_comparable

    runs = {path: load_history(path) for run in args.runs for path in history_files(run)}
    check_comparable(list(runs.values()), args.allow_val_from_test)     # before creating the output folder
    Path(args.out).mkdir(parents=True, exist_ok=True)
    write_report(runs, args.out, args.allow_val_from_test)


def load_trained_model(checkpoint):
    """The model of a checkpoint written by train/compare, built by name from its metadata."""
    from .engine import load_checkpoint
    from .engine.checkpoint import read_checkpoint_meta
    from .models import create

    meta = read_checkpoint_meta(checkpoint)
    if meta is None:
        raise CLIError(f"{checkpoint} has no metadata naming its model: pass a run folder written by train/compare, "
                       f"or its best/last checkpoint")
    model = create(meta["model_name"], num_classes=meta.get("num_classes", 10))
    load_checkpoint(model, checkpoint)
    model.eval()
    return model, meta


def cmd_evaluate(args):
    from .data import load_cifar10
    from .engine import evaluate
    from .inference import evaluate_with_predictor, use_predictor

    model, meta = load_trained_model(args.checkpoint)
    dataset = load_cifar10("test", args.data, "notebook", subset=args.val_subset)   # looks the archive up
    backend = "predictor" if use_predictor(args.dynamic) else "dynamic"
    run = evaluate_with_predictor if backend == "predictor" else evaluate
    result = run(model, dataset, batch_size=args.batch_size)
    print(json.dumps({"checkpoint": str(args.checkpoint), "model": meta.get("model_name"), "data": dataset.info.path,
                      "images": len(dataset), "backend": backend, "acc": result["acc"], "loss": result["loss"],
                      "per_class_acc": result["per_class_acc"], "img_s": result["img_s"]}, indent=2))


def cmd_export(args):
    from .export import export_model

    model, _ = load_trained_model(args.checkpoint)
    prefix = Path(args.out)
    if any(prefix.parent.glob(prefix.name + ".*")) and not args.force:
        raise CLIError(f"{prefix}.* exists; pass --force to replace it")
    export_model(model, str(prefix))
    print(f"exported to {prefix}.*")


def cmd_predict(args):
    from .data import CIFAR10_CLASSES
    from .export import predict_images
    from .inference import predict_images_with_predictor, use_predictor

    model, _ = load_trained_model(args.checkpoint)
    run = predict_images_with_predictor if use_predictor(args.dynamic) else predict_images
    for path, top in zip(args.images, run(model, args.images, CIFAR10_CLASSES, topk=args.topk)):
        print(f"{path}: " + ", ".join(f"{name} {prob:.3f}" for name, prob in top))


def cmd_make_synthetic(args):
    from .data import make_synthetic_cifar10

    if Path(args.out).exists() and not args.force:
        raise CLIError(f"{args.out} exists; pass --force to replace it")
    print(make_synthetic_cifar10(args.out, n_train=args.n_train, n_test=args.n_test, seed=args.seed))


def build_parser():
    from .models import list_models

    parser = Parser(prog="python -m ecapaddle", description=__doc__,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train one model")
    p.add_argument("--model", default="alexnet_eca", choices=list_models(), metavar="NAME",
                   help="one of: " + ", ".join(list_models()))
    p.add_argument("--seed", type=int, default=42)
    add_data_arguments(p)
    add_train_arguments(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("compare", help="train several models on the same data and seeds; write a table and figures")
    p.add_argument("--models", nargs="+", default=["alexnet", "alexnet_eca"], choices=list_models(), metavar="NAME",
                   help="models to compare (default: alexnet alexnet_eca); any of: " + ", ".join(list_models()))
    p.add_argument("--seeds", nargs="+", type=int, default=[42])
    add_data_arguments(p)
    add_train_arguments(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("report", help="table and learning curves from finished runs (no training)")
    p.add_argument("runs", nargs="+", help="run folders, their history.json files, or folders of runs (compare's)")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--allow-val-from-test", action="store_true",
                   help="accept runs validated on the test split (the original notebook's protocol); the table says so")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("evaluate", help="accuracy of a checkpoint on the CIFAR-10 test set")
    p.add_argument("checkpoint", help="a run folder written by train/compare, or its best/last checkpoint")
    p.add_argument("--data", metavar="PATH")
    p.add_argument("--val-subset", type=positive_int)
    p.add_argument("--batch-size", type=positive_int, default=256)
    p.add_argument("--dynamic", action="store_true", help=DYNAMIC_HELP)
    p.set_defaults(func=cmd_evaluate)

    # listed for --help only: main() hands `bench ...` to ecapaddle.bench, which has its own options
    sub.add_parser("bench", help="throughput benchmark (benchmarks/README.md); `bench --help` for its options")

    p = sub.add_parser("export", help="export a checkpoint for inference (paddle.jit.save)")
    p.add_argument("checkpoint")
    p.add_argument("--out", required=True, metavar="PREFIX", help="path prefix of the exported files")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("predict", help="top-k CIFAR-10 classes for image files")
    p.add_argument("checkpoint")
    p.add_argument("images", nargs="+")
    p.add_argument("--topk", type=positive_int, default=3)
    p.add_argument("--dynamic", action="store_true", help=DYNAMIC_HELP)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("make-synthetic", help="write a small synthetic archive in the CIFAR-10 format")
    p.add_argument("out")
    p.add_argument("--n-train", type=positive_int, default=500)
    p.add_argument("--n-test", type=positive_int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_make_synthetic)
    for p in (parser, *sub.choices.values()):
        add_common_options(p)
    return parser


def one_line(error):
    """The message of `error` on one line."""
    parts = [line.strip() for line in (str(error).strip() or type(error).__name__).splitlines() if line.strip()]
    text = parts[0]
    for part in parts[1:]:
        text += (" " if text[-1] in ".:;,!?" else "; ") + part
    return text


def resume_hint(argv, run_dir):
    """What to say after Ctrl-C: how to continue the run in `run_dir` (None: no run folder yet)."""
    if run_dir is None:
        return "interrupted (Ctrl-C) before a run folder was made; nothing was saved"
    keep = [token for i, token in enumerate(argv) if token not in ("--resume", "--force", "--dry-run", "--out")
            and not token.startswith("--out=") and (i == 0 or argv[i - 1] != "--out")]
    command = shlex.join(["python", "-m", "ecapaddle", *keep, "--resume", "--out", str(run_dir)])
    return f"interrupted (Ctrl-C); the completed epochs are saved in {run_dir}: continue with {command}"


def main(argv=None):
    """Run the command line `argv` (default sys.argv[1:]); returns the exit code."""
    import matplotlib

    from .engine.checkpoint import CheckpointError
    from .engine.train import NonFiniteLossError
    from .runtime import requested_threads, set_num_threads, use_all_cores, use_fast_mkl

    matplotlib.use("Agg")
    use_fast_mkl()                  # before Paddle's first CPU computation
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        from .bench import main as bench_main

        return bench_main(argv[1:])
    args, debug = None, "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        args.argv = argv        # re-run by the workers of --procs N
        threads = getattr(args, "threads", None) or requested_threads() or "auto"
        args.cpu_threads = use_all_cores() if threads == "auto" else set_num_threads(threads)
        return args.func(args) or 0
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"error: {resume_hint(argv, getattr(args, 'run_dir', None))}", file=sys.stderr)
        return 130
    except (CLIError, ValueError, OSError, CheckpointError, NonFiniteLossError) as error:
        if debug:
            raise
        print(f"error: {one_line(error)}", file=sys.stderr)
        return getattr(error, "code", 1)
