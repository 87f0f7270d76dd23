"""Command line of ecapaddle: `python -m ecapaddle COMMAND --help` for each command."""
import argparse
import json
import sys
from pathlib import Path

QUICK = dict(epochs=2, train_subset=1000, val_subset=500, batch_size=32, transforms="fast")
QUICK_SYNTHETIC = dict(n_train=1500, n_test=500)
DEFAULT_HOLDOUT = 5000


def positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def non_negative_float(text):
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def add_data_arguments(p):
    g = p.add_argument_group("data")
    g.add_argument("--data", metavar="PATH", help="cifar-10-python.tar.gz (default: $ECAPADDLE_CIFAR10, the AI "
                   "Studio mount data/data152754/, Paddle's cache)")
    g.add_argument("--synthetic", action="store_true",
                   help="use a small generated archive in the CIFAR-10 format instead of real data")
    g.add_argument("--train-subset", type=positive_int, metavar="N", help="stratified subset of N training images")
    g.add_argument("--val-from", choices=("train", "test"), default="train",
                   help="where validation images come from: 'train' (default) holds --val-subset images out of the "
                        "training split and evaluates the test split once at the end; 'test' validates on the test "
                        "split (the original notebook's protocol, which reports a test figure chosen on the test set)")
    g.add_argument("--val-subset", type=positive_int, metavar="N",
                   help=f"N stratified validation images (default: {DEFAULT_HOLDOUT} held out of the training split "
                        f"with --val-from train, the whole test split with --val-from test)")
    g.add_argument("--transforms", choices=("notebook", "fast"), default="notebook",
                   help="augmentation preset (default: the notebook's recipe)")


def add_train_arguments(p):
    from .engine import TrainConfig

    defaults = TrainConfig()
    g = p.add_argument_group("training (defaults: the notebook's recipe)")
    g.add_argument("--epochs", type=positive_int, default=defaults.epochs)
    g.add_argument("--batch-size", type=positive_int, default=defaults.batch_size)
    g.add_argument("--lr", type=non_negative_float, default=defaults.lr)
    g.add_argument("--weight-decay", type=non_negative_float, default=defaults.weight_decay)
    g.add_argument("--label-smoothing", type=non_negative_float, default=defaults.label_smoothing)
    g.add_argument("--mixup", type=non_negative_float, default=0.0, metavar="ALPHA",
                   help="batch-level mixup with Beta(ALPHA, ALPHA); 0 = off, as in the notebook's real runs")
    g.add_argument("--workers", type=int, default=defaults.num_workers, help="DataLoader worker processes")
    g.add_argument("--quick", action="store_true",
                   help=f"reduced run for a 2-core CPU, overriding those options: {QUICK}; without real data, a synthetic archive of "
                        f"{QUICK_SYNTHETIC['n_train']}+{QUICK_SYNTHETIC['n_test']} images")
    g.add_argument("--no-progress", action="store_true", help="no tqdm progress bars")
    p.add_argument("--out", metavar="DIR", help="output directory (default: runs/<command>)")
    p.add_argument("--force", action="store_true", help="write into an existing output directory "
                   "(files of the same name are replaced; nothing else is deleted)")


def apply_quick(args):
    """--quick replaces epochs, subsets, batch size and transforms by the QUICK values."""
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)


def resolve_data(args, out_dir):
    """The archive to use and a description; synthetic when asked or when no real data is found."""
    from .data import cifar10_or_synthetic, is_synthetic

    sizes = QUICK_SYNTHETIC if args.quick else dict(n_train=5000, n_test=1000)
    path, source = cifar10_or_synthetic(out_dir, synthetic=args.synthetic, path=args.data, **sizes)
    print(f"data: {source}")
    if is_synthetic(path):
        return path, {"kind": "SYNTHETIC (generated, not CIFAR-10)", "source": source, **sizes}
    return path, {"kind": "real CIFAR-10", "source": source}


def load_datasets(args, archive, data_info):
    """(train set, validation set, test set or None) as --val-from asks; records the protocol in data_info."""
    from .data import load_cifar10_holdout, load_cifar10_splits

    data_info.update(transforms=args.transforms, subset_seed=0, val_source=args.val_from)  # the engine records sizes
    if args.val_from == "test":
        return (*load_cifar10_splits(archive, args.transforms, args.train_subset, args.val_subset, seed=0), None)
    train_set, val_set, test_set = load_cifar10_holdout(archive, args.transforms, args.train_subset,
                                                        args.val_subset or DEFAULT_HOLDOUT, seed=0)
    data_info["test_size"] = len(test_set)
    return train_set, val_set, test_set


def prepare_out_dir(path, force, resume=False):
    path = Path(path)
    if path.exists() and any(path.iterdir()) and not (force or resume):
        raise SystemExit(f"error: output directory {path} already exists and is not empty; choose another "
                         f"--out, pass --resume to continue a run there, or --force to write into it")
    path.mkdir(parents=True, exist_ok=True)
    return path


def train_config(args, seed):
    from .engine import TrainConfig

    return TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
                       label_smoothing=args.label_smoothing, seed=seed, num_workers=args.workers,
                       mixup_alpha=args.mixup, progress=not args.no_progress)


def run_one(model_name, args, seed, train_set, val_set, out_dir, data_info, resume=False, test_set=None):
    from .engine import train
    from .models import create

    print(f"== {model_name}, seed {seed}: {data_info['kind']}, {len(train_set)} train / {len(val_set)} val "
          f"images, {args.epochs} epochs, batch {args.batch_size} -> {out_dir}")
    model = create(model_name, num_classes=10)
    return train(model, train_set, val_set, train_config(args, seed), out_dir=out_dir, resume=resume,
                 overwrite=args.force, model_name=model_name, data_info=data_info, test_set=test_set)


def cmd_train(args):
    apply_quick(args)
    out = prepare_out_dir(args.out or f"runs/train-{args.model}", args.force, args.resume)
    archive, info = resolve_data(args, out)
    train_set, val_set, test_set = load_datasets(args, archive, info)
    history = run_one(args.model, args, args.seed, train_set, val_set, out, info, resume=args.resume,
                      test_set=test_set)
    last = history["epochs"][-1]
    print(f"final train acc {last['train_acc']:.4f}, val acc {last['val_acc']:.4f}; "
          f"best val acc {history['best']['val_acc']:.4f} (epoch {history['best']['epoch']}); files in {out}")


def cmd_compare(args):
    apply_quick(args)
    out = prepare_out_dir(args.out or "runs/compare", args.force)
    archive, info = resolve_data(args, out)
    train_set, val_set, test_set = load_datasets(args, archive, info)
    histories = []
    for seed in args.seeds:
        for name in args.models:
            histories.append(run_one(name, args, seed, train_set, val_set, out / f"{name}-seed{seed}", dict(info),
                                     test_set=test_set))
    write_report(histories, out)
    print(f"one folder per run in {out}")


def write_report(histories, out):
    """table.md, table.csv and learning_curves.png in `out` from histories; prints the table."""
    from .plots import plot_learning_curves
    from .report import describe_runs, paired_differences, summarize, to_csv, to_markdown

    rows = summarize(histories)
    header = "Data: " + describe_runs(histories) + "."
    models = list(dict.fromkeys(h["model"]["name"] for h in histories))
    lines = [header, "", to_markdown(rows)]
    for other in models[1:]:
        diffs = paired_differences(histories, models[0], other)
        if diffs:
            lines.append(f"{other} - {models[0]}, final val acc per seed: "
                         + ", ".join(f"seed {s}: {d:+.4f}" for s, d in diffs) + "\n")
    text = "\n".join(lines)
    (Path(out) / "table.md").write_text(text)
    (Path(out) / "table.csv").write_text(to_csv(rows))
    plot_learning_curves(histories, Path(out) / "learning_curves.png", title=header)
    print("\n" + text)
    print(f"wrote table.md, table.csv, learning_curves.png in {out}")


def cmd_report(args):
    from .engine import load_history

    paths = [Path(p) / "history.json" if Path(p).is_dir() else Path(p) for p in args.runs]
    histories = [load_history(p) for p in paths]
    Path(args.out).mkdir(parents=True, exist_ok=True)
    write_report(histories, args.out)


def load_trained_model(checkpoint):
    """The model of a checkpoint written by train/compare, built by name from its metadata."""
    from .engine import load_checkpoint
    from .engine.checkpoint import checkpoint_paths, read_json, resolve_prefix
    from .models import create

    meta_path = checkpoint_paths(resolve_prefix(checkpoint))["meta"]
    if not Path(meta_path).is_file():
        raise SystemExit(f"error: {meta_path} not found: the CLI needs a checkpoint written by "
                         f"'python -m ecapaddle train' (its .meta.json names the model)")
    meta = read_json(meta_path, "checkpoint metadata")
    model = create(meta["model_name"], num_classes=meta.get("num_classes", 10))
    load_checkpoint(model, checkpoint)
    model.eval()
    return model, meta


def cmd_evaluate(args):
    from .data import load_cifar10
    from .engine import evaluate

    model, meta = load_trained_model(args.checkpoint)
    dataset = load_cifar10("test", args.data, "notebook", subset=args.val_subset)   # looks the archive up
    result = evaluate(model, dataset, batch_size=args.batch_size)
    print(json.dumps({"checkpoint": str(args.checkpoint), "model": meta.get("model_name"), "data": dataset.info.path,
                      "images": len(dataset), "acc": result["acc"], "loss": result["loss"],
                      "per_class_acc": result["per_class_acc"], "img_s": result["img_s"]}, indent=2))


def cmd_export(args):
    from .export import export_model

    model, _ = load_trained_model(args.checkpoint)
    prefix = Path(args.out)
    if any(prefix.parent.glob(prefix.name + ".*")) and not args.force:
        raise SystemExit(f"error: {prefix}.* exists; pass --force to replace it")
    export_model(model, str(prefix))
    print(f"exported to {prefix}.*")


def cmd_predict(args):
    from .data import CIFAR10_CLASSES
    from .export import predict_images

    model, _ = load_trained_model(args.checkpoint)
    for path, top in zip(args.images, predict_images(model, args.images, CIFAR10_CLASSES, topk=args.topk)):
        print(f"{path}: " + ", ".join(f"{name} {prob:.3f}" for name, prob in top))


def cmd_make_synthetic(args):
    from .data import make_synthetic_cifar10

    if Path(args.out).exists() and not args.force:
        raise SystemExit(f"error: {args.out} exists; pass --force to replace it")
    print(make_synthetic_cifar10(args.out, n_train=args.n_train, n_test=args.n_test, seed=args.seed))


def build_parser():
    from .models import list_models

    parser = argparse.ArgumentParser(prog="python -m ecapaddle", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train one model")
    p.add_argument("--model", default="alexnet_eca", choices=list_models(), metavar="NAME",
                   help="one of: " + ", ".join(list_models()))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
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
    p.add_argument("runs", nargs="+", help="run directories or their history.json files")
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("evaluate", help="accuracy of a checkpoint on the CIFAR-10 test set")
    p.add_argument("checkpoint", help="a .pdparams written by train/compare")
    p.add_argument("--data", metavar="PATH")
    p.add_argument("--val-subset", type=positive_int)
    p.add_argument("--batch-size", type=positive_int, default=256)
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
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("make-synthetic", help="write a small synthetic archive in the CIFAR-10 format")
    p.add_argument("out")
    p.add_argument("--n-train", type=positive_int, default=500)
    p.add_argument("--n-test", type=positive_int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_make_synthetic)
    return parser


def main(argv=None):
    import matplotlib

    matplotlib.use("Agg")
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        from .bench import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
