"""Checkpoints of a training run: crash-proof writes, metadata, and loading with clear errors.

A run directory (`out_dir` of `ecapaddle.engine.train`) holds config.json, history.json and:

    last.ckpt.json, best.ckpt.json   pointers: {"checkpoint": "ckpt-epoch0007", "epoch": 7}
    ckpt-epoch0007/                  one complete checkpoint (best and last may share one folder)
        model.pdparams               model.state_dict(), exactly as `paddle.save` writes it
        optimizer.pdopt              optimizer.state_dict(), LR scheduler state under "LR_Scheduler"
        meta.json                    metadata that ties the two files together and makes them resumable

meta.json, readable without Paddle, holds the model's name, class and size, epoch and global step, the
run config, the SHA-256 of both binary files (a truncated file or one from another save is caught before
Paddle parses it), the map from structured to Paddle's parameter names (Paddle keys optimizer state by the
latter, which depend on how many layers the process created before), the AMP loss-scaler state and the
history so far: resuming needs nothing else (each epoch's randomness derives from (seed, epoch)).

Crash safety: a checkpoint is written complete (every file fsync'ed) into a temporary folder, renamed to
its ckpt-* name, and only then do the pointers switch to it, each by an atomic `os.replace`; folders no
pointer names are deleted last. A SIGKILL at any instant leaves every pointer naming a complete checkpoint.
"""
import hashlib
import io
import itertools
import json
import os
import shutil

import paddle

from ..utils import PARTIAL_SUFFIX, atomic_write_bytes, count_parameters, fsync_directory, write_synced

FORMAT_VERSION = 1
TAGS = ("last", "best")
POINTER_SUFFIX = ".ckpt.json"
FOLDER_PREFIX = "ckpt-"
FOLDER_FILES = {"pdparams": "model.pdparams", "pdopt": "optimizer.pdopt", "meta": "meta.json"}
WEIGHTS_SUFFIX = ".pdparams"         # a bare weights file, as `paddle.save(model.state_dict(), ...)` writes it
RUN_FILES = ("config.json", "history.json", "predictions.npz") + tuple(tag + POINTER_SUFFIX for tag in TAGS)
MAX_LISTED_KEYS = 8


class CheckpointError(RuntimeError):
    """A checkpoint file is corrupt, inconsistent, or from a newer ecapaddle."""


class CheckpointMismatchError(CheckpointError, ValueError):
    """A checkpoint does not fit the model or optimizer it is loaded into."""


class RunExistsError(FileExistsError):
    """`out_dir` already holds a training run and neither resume nor overwrite was asked for."""


def _json_bytes(obj):
    return (json.dumps(obj, indent=1, allow_nan=False) + "\n").encode("utf-8")


def write_json(path, obj):
    """Atomically write `obj` as strict JSON (NaN/inf refused) to `path`."""
    atomic_write_bytes(path, _json_bytes(obj))


def read_json(path, what="file", error=None):
    """Read a JSON file; a missing (FileNotFoundError) or unparsable one (`error`, default CheckpointError) raises."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:        # includes JSONDecodeError and UnicodeDecodeError
        raise (error or CheckpointError)(
            f"{what} {path} is truncated or corrupt (not valid JSON: {e})") from e


def prepare_run_dir(out_dir, resume=False, overwrite=False):
    """Create `out_dir` if needed and refuse to mix a new run into an old one: a directory holding any of
    RUN_FILES needs `resume=True` or `overwrite=True` (the new run replaces them as it writes its own)."""
    os.makedirs(out_dir, exist_ok=True)
    found = [name for name in RUN_FILES if os.path.exists(os.path.join(out_dir, name))]
    if found and not (resume or overwrite):
        raise RunExistsError(
            f"{out_dir} already holds a training run ({', '.join(found)}). Pass resume=True to continue "
            f"it, overwrite=True to replace it, or choose another out_dir.")


def _read_pointer(pointer):
    """The checkpoint folder that the pointer file `pointer` names."""
    data = read_json(pointer, "checkpoint pointer")
    name = data.get("checkpoint") if isinstance(data, dict) else None
    if not isinstance(name, str) or name in ("", ".", "..") or os.path.basename(name) != name:
        raise CheckpointError(f"{pointer} is not a checkpoint pointer: it must be "
                              f'{{"checkpoint": "<folder name in the same directory>"}}.')
    return os.path.join(os.path.dirname(pointer), name)


def _is_checkpoint_folder(path):
    return any(os.path.isfile(os.path.join(path, name)) for name in FOLDER_FILES.values())


def resolve_prefix(path):
    """The checkpoint that `path` (anything `load_checkpoint` takes) means, as a prefix (e.g. run/last), a
    checkpoint folder or a weights file."""
    path = os.fspath(path)
    if os.path.isdir(path):
        return path if _is_checkpoint_folder(path) else os.path.join(path, "last")
    folder, name = os.path.split(path)
    if name in FOLDER_FILES.values() and _is_checkpoint_folder(folder or os.curdir):
        return folder or os.curdir
    return path[:-len(POINTER_SUFFIX)] if path.endswith(POINTER_SUFFIX) else path


def checkpoint_paths(path):
    """{"pdparams": ..., "pdopt": ..., "meta": ...}: the files of the checkpoint at `path` (None for the two a
    bare weights file lacks). Raises FileNotFoundError naming what is missing when there is no weights file."""
    prefix = resolve_prefix(path)
    pointer = prefix + POINTER_SUFFIX
    if os.path.isdir(prefix):
        folder = prefix
    elif os.path.isfile(pointer):
        folder = _read_pointer(pointer)
    elif prefix.endswith(WEIGHTS_SUFFIX) and os.path.isfile(prefix):
        return {"pdparams": prefix, "pdopt": None, "meta": None}
    else:
        raise FileNotFoundError(f"no checkpoint at {prefix}: {pointer} does not exist (ecapaddle.train writes "
                                f"last/best{POINTER_SUFFIX} pointers to {FOLDER_PREFIX}* folders; a bare weights "
                                f"file must end in {WEIGHTS_SUFFIX})")
    paths = {key: os.path.join(folder, name) for key, name in FOLDER_FILES.items()}
    if not os.path.isfile(paths["pdparams"]):
        raise FileNotFoundError(f"checkpoint file not found: {paths['pdparams']}. Use the run's other checkpoint "
                                f"(best/last) or train again.")
    return paths


def checkpoint_exists(path):
    """Whether a checkpoint is stored at `path` (a pointer counts even if its folder is damaged)."""
    prefix = resolve_prefix(path)
    return os.path.isdir(prefix) or os.path.isfile(prefix + POINTER_SUFFIX)


def _paddle_bytes(obj):
    buffer = io.BytesIO()
    paddle.save(obj, buffer)
    return buffer.getvalue()


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _referenced(directory):
    """Names of the folders that the pointers in `directory` name; None if a pointer is unreadable."""
    names = set()
    for entry in os.listdir(directory):
        if entry.endswith(POINTER_SUFFIX):
            try:
                names.add(os.path.basename(_read_pointer(os.path.join(directory, entry))))
            except (CheckpointError, OSError):
                return None
    return names


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)


def _new_folder_name(directory, epoch):
    """A free ckpt-* name for a checkpoint of `epoch`; an unreferenced folder of that name is stale."""
    base = FOLDER_PREFIX + (f"epoch{epoch:04d}" if isinstance(epoch, int) else "checkpoint")
    referenced = _referenced(directory)
    for n in itertools.count(1):
        name = base if n == 1 else f"{base}-{n}"
        path = os.path.join(directory, name)
        if os.path.exists(path) and referenced is not None and name not in referenced:
            _remove(path)
        if not os.path.exists(path):
            return name


def _remove_unreferenced(directory):
    """Delete ckpt-* folders that no pointer names and leftovers of interrupted writes."""
    referenced = _referenced(directory)
    if referenced is None:      # keep everything rather than guess which folder a broken pointer meant
        return
    for entry in os.listdir(directory):
        stale = entry.startswith(FOLDER_PREFIX) and entry not in referenced
        if stale or (entry.startswith(".") and entry.endswith(PARTIAL_SUFFIX)):
            _remove(os.path.join(directory, entry))


def save_checkpoint(prefix, model, optimizer, meta, also=()):
    """Save `model` (not its `paddle.DataParallel` wrapper) and `optimizer` (with its LR scheduler) as a
    checkpoint at `prefix` (e.g. "run/last", in an existing directory); return the metadata.

    Writes a new folder run/ckpt-epoch<N>, points the names in `also` (e.g. ("best",)) and then `prefix` at
    it, then deletes the folders no pointer names any more. `meta` is a JSON-serialisable dict (epoch,
    config, ...), to which the format version, model class and size, checksums and parameter names are added.
    """
    directory, name = os.path.split(os.path.abspath(os.fspath(prefix)))
    params = _paddle_bytes(model.state_dict())
    opt = _paddle_bytes(optimizer.state_dict())
    meta = dict(meta, format_version=FORMAT_VERSION,
                model_class=type(model).__name__, num_params=count_parameters(model),
                optimizer_class=type(optimizer).__name__,
                param_names={n: p.name for n, p in model.named_parameters()},
                sha256={"pdparams": _sha256(params), "pdopt": _sha256(opt)})
    temp = os.path.join(directory, f".{FOLDER_PREFIX}new{PARTIAL_SUFFIX}")
    _remove(temp)       # a leftover of an interrupted save
    os.makedirs(temp)
    for key, data in (("pdparams", params), ("pdopt", opt), ("meta", _json_bytes(meta))):
        write_synced(os.path.join(temp, FOLDER_FILES[key]), data)
    fsync_directory(temp)
    folder = _new_folder_name(directory, meta.get("epoch"))
    os.replace(temp, os.path.join(directory, folder))
    fsync_directory(directory)
    pointer = _json_bytes({"checkpoint": folder, "epoch": meta.get("epoch")})
    for tag in tuple(also) + (name,):       # `name` last: "last" never gets ahead of "best"
        atomic_write_bytes(os.path.join(directory, tag + POINTER_SUFFIX), pointer)
    _remove_unreferenced(directory)
    return meta


def _read_paddle_file(path, expected_sha256, meta_path):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint file not found: {path}")
    with open(path, "rb") as f:
        data = f.read()
    if expected_sha256 is not None and _sha256(data) != expected_sha256:
        raise CheckpointError(
            f"{path} is truncated, corrupt, or from another save: its SHA-256 does not match the one "
            f"recorded in {meta_path}. Use the other checkpoint of the run (best/last) or train again.")
    try:
        return paddle.load(io.BytesIO(data))
    except Exception as e:  # paddle raises assorted types (pickle, EOF, ValueError) for bad files
        raise CheckpointError(
            f"{path} is truncated or corrupt: paddle.load failed ({type(e).__name__}: {e})") from e


def _listed(keys):
    keys = sorted(keys)
    more = f" ... and {len(keys) - MAX_LISTED_KEYS} more" if len(keys) > MAX_LISTED_KEYS else ""
    return ", ".join(keys[:MAX_LISTED_KEYS]) + more


def check_state_dict(model, state, source="checkpoint"):
    """Raise CheckpointMismatchError listing missing, unexpected and wrongly shaped keys."""
    expected = {k: list(v.shape) for k, v in model.state_dict().items()}
    found = {k: list(v.shape) for k, v in state.items()}
    missing = expected.keys() - found.keys()
    unexpected = found.keys() - expected.keys()
    shapes = [f"{k}: checkpoint {found[k]} vs model {expected[k]}"
              for k in sorted(expected.keys() & found.keys()) if expected[k] != found[k]]
    if not (missing or unexpected or shapes):
        return
    lines = [f"the weights do not fit {type(model).__name__} "
             f"({count_parameters(model):,} parameters): {source}."]
    if missing:
        lines.append(f"missing keys ({len(missing)}): {_listed(missing)}")
    if unexpected:
        lines.append(f"unexpected keys ({len(unexpected)}): {_listed(unexpected)}")
    if shapes:
        lines.append(f"shape mismatches ({len(shapes)}): " + "; ".join(shapes[:MAX_LISTED_KEYS]))
    lines.append("Build the model the checkpoint was trained with (same class and arguments).")
    raise CheckpointMismatchError("\n".join(lines))


def _renamed_optimizer_state(state, model, meta, path):
    """Optimizer state keyed by this process's parameter names, checked against the model."""
    params = dict(model.named_parameters())
    saved_names = meta["param_names"]
    if saved_names.keys() != params.keys():
        raise CheckpointMismatchError(
            f"the optimizer state in {path} belongs to another model: parameters differ "
            f"({_listed(saved_names.keys() ^ params.keys())}).")
    by_old_name = {saved_names[k]: params[k] for k in params}
    renamed = {}
    for key, value in state.items():
        if key == "LR_Scheduler":
            renamed[key] = value
            continue
        # keys are "<param name>_<accumulator>_<n>", e.g. "linear_3.w_0_moment1_0"
        owner = max((old for old in by_old_name if key.startswith(old + "_")), key=len, default=None)
        if owner is None:
            raise CheckpointMismatchError(f"the optimizer state in {path} is from another run: {key} belongs to "
                                          f"no parameter of {meta.get('model_class')}.")
        renamed[by_old_name[owner].name + key[len(owner):]] = value
    return renamed


def _read_meta(paths):
    """The metadata of a checkpoint, None for a bare weights file."""
    if paths["meta"] is None:
        return None
    meta = read_json(paths["meta"], "checkpoint metadata")
    version = meta.get("format_version") if isinstance(meta, dict) else None
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"{paths['meta']} has format_version {version!r}; this ecapaddle reads "
                              f"up to {FORMAT_VERSION}. Upgrade ecapaddle to load it.")
    return meta


def read_checkpoint_meta(path):
    """The metadata of the checkpoint at `path` (as for `load_checkpoint`), without loading any weights."""
    return _read_meta(checkpoint_paths(path))


def load_checkpoint(model, path, optimizer=None):
    """Load weights (and the state of `optimizer`, of the run's type, with its LR scheduler) into `model`;
    return the metadata (None for a bare weights file). Nothing is loaded unless all checks pass.

    path: a run directory (its "last" checkpoint), a prefix like "run/best", a pointer (run/best.ckpt.json),
    a checkpoint folder or one of its files, or a bare weights file (<name>.pdparams, e.g. the notebook's).
    """
    paths = checkpoint_paths(path)
    meta = _read_meta(paths)
    sha = meta["sha256"] if meta is not None else {}
    state = _read_paddle_file(paths["pdparams"], sha.get("pdparams"), paths["meta"])
    what = ("a checkpoint without ecapaddle metadata" if meta is None else f"a checkpoint of {meta.get('model_class')} "
            f"'{meta.get('model_name')}' ({meta.get('num_params'):,} parameters, epoch {meta.get('epoch')})")
    check_state_dict(model, state, source=f"{paths['pdparams']} is {what}")
    if optimizer is not None:
        if meta is None:
            raise CheckpointError(f"{paths['pdparams']} is a bare weights file without optimizer state or metadata; "
                                  f"load the weights alone with optimizer=None.")
        if meta.get("optimizer_class") != type(optimizer).__name__:
            raise CheckpointMismatchError(f"{paths['pdopt']} holds {meta.get('optimizer_class')} state, "
                                          f"not {type(optimizer).__name__}.")
        opt_state = _read_paddle_file(paths["pdopt"], sha.get("pdopt"), paths["meta"])
        opt_state = _renamed_optimizer_state(opt_state, model, meta, paths["pdopt"])
    model.set_state_dict(state)
    if optimizer is not None:
        optimizer.set_state_dict(opt_state)
    return meta
