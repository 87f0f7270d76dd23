"""Checkpoints of a training run: atomic writes, metadata, and loading with clear errors.

A run directory (`out_dir` of `ecapaddle.engine.train`) holds, for `tag` "last" and "best":

    {tag}.pdparams    model.state_dict(), exactly as `paddle.save` writes it (plain `paddle.load` reads it)
    {tag}.pdopt       optimizer.state_dict(), with the LR scheduler state under "LR_Scheduler"
    {tag}.meta.json   metadata that ties the two files together and makes them resumable

plus `config.json` and `history.json`. The metadata lives in a separate JSON file, not inside the
.pdopt dict, so that the .pdparams/.pdopt pair stays what the course notebook saved and the
metadata is readable without Paddle. It holds: format_version; the model's name, class,
parameter count and number of classes; epoch and global step; the run config; the SHA-256 of
both binary files (a truncated file or a file from another save is caught before Paddle parses
it); the map from structured parameter names to Paddle's parameter names (Paddle keys optimizer
state by the latter, which depend on how many layers the process created before, so they are
renamed on load); the AMP loss-scaler state; and the history up to that epoch, so that resuming
needs nothing but this checkpoint. No RNG state is stored: the trainer derives each epoch's
randomness from (seed, epoch).

Every file is written to a temporary file in the same directory, flushed and fsync'ed, then
moved over the old one with `os.replace`; a crash at any point leaves the previous checkpoint
intact. The three files of a checkpoint are committed together with Ctrl-C deferred, so an
interrupt never leaves a mixed set (a hard kill in that microsecond window is caught on load by
the checksums).
"""
import contextlib
import hashlib
import io
import json
import os
import signal
import tempfile
import threading

import paddle

from ..utils import count_parameters

FORMAT_VERSION = 1
TAGS = ("last", "best")
SUFFIXES = (".pdparams", ".pdopt", ".meta.json")
RUN_FILES = ("config.json", "history.json", "predictions.npz") + tuple(tag + suffix for tag in TAGS for suffix in SUFFIXES)
OPTIMIZER_EXTRA_KEYS = ("LR_Scheduler", "master_weights")
MAX_LISTED_KEYS = 8
META_KEYS = ("format_version", "model_class", "num_params", "optimizer_class", "param_names", "sha256")


class CheckpointError(RuntimeError):
    """A checkpoint file is corrupt, inconsistent, or from a newer ecapaddle."""


class CheckpointMismatchError(CheckpointError, ValueError):
    """A checkpoint does not fit the model or optimizer it is loaded into."""


class RunExistsError(FileExistsError):
    """`out_dir` already holds a training run and neither resume nor overwrite was asked for."""


# ---- atomic files -------------------------------------------------------------------------------

def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_temp(path, data):
    """Write `data` (bytes) to a new temporary file next to `path`; return its name."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as f:
            os.chmod(temp, 0o666 & ~_umask())   # mkstemp creates 0600; give the file the usual mode
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.remove(temp)
        raise
    return temp


@contextlib.contextmanager
def _interrupts_deferred():
    """Hold back SIGINT (Ctrl-C) inside the block and deliver it afterwards (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            signal.raise_signal(signal.SIGINT)


def _commit(pairs):
    """Move each (temporary, final) pair into place; temporaries left by a failure are removed."""
    try:
        with _interrupts_deferred():
            for temp, final in pairs:
                os.replace(temp, final)
    finally:
        for temp, _ in pairs:
            if os.path.exists(temp):
                os.remove(temp)
    _fsync_directory(os.path.dirname(os.path.abspath(pairs[0][1])))


def _fsync_directory(directory):
    if os.name != "posix":      # directories cannot be opened for fsync on Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path, data):
    """Replace `path` by `data` so that readers see either the old or the new file, never a part."""
    _commit([(_write_temp(path, data), path)])


def _json_bytes(obj):
    return (json.dumps(obj, indent=1, allow_nan=False) + "\n").encode("utf-8")


def write_json(path, obj):
    """Atomically write `obj` as strict JSON (NaN/inf refused) to `path`."""
    atomic_write_bytes(path, _json_bytes(obj))


def read_json(path, what="file", error=None):
    """Read a JSON file; a missing (FileNotFoundError) or unparsable file (`error`, default
    CheckpointError) is an error naming it."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:        # includes JSONDecodeError and UnicodeDecodeError
        raise (error or CheckpointError)(
            f"{what} {path} is truncated or corrupt (not valid JSON: {e})") from e


# ---- run directories ----------------------------------------------------------------------------

def existing_run_files(out_dir):
    """The files of a training run that are present in `out_dir` (empty list if none)."""
    return [name for name in RUN_FILES if os.path.exists(os.path.join(out_dir, name))]


def prepare_run_dir(out_dir, resume=False, overwrite=False):
    """Create `out_dir` if needed and refuse to mix a new run into an old one.

    A directory holding any of RUN_FILES needs `resume=True` (continue it) or `overwrite=True`
    (replace those files as the new run writes them; nothing is deleted). Other files are ignored.
    """
    os.makedirs(out_dir, exist_ok=True)
    found = existing_run_files(out_dir)
    if found and not (resume or overwrite):
        raise RunExistsError(
            f"{out_dir} already holds a training run ({', '.join(found)}). Pass resume=True to continue "
            f"it, overwrite=True to replace it, or choose another out_dir.")


# ---- saving -------------------------------------------------------------------------------------

def _paddle_bytes(obj):
    buffer = io.BytesIO()
    paddle.save(obj, buffer)
    return buffer.getvalue()


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def checkpoint_paths(prefix):
    """{"pdparams": ..., "pdopt": ..., "meta": ...} for a checkpoint prefix such as run/last."""
    prefix = os.fspath(prefix)
    return {"pdparams": prefix + ".pdparams", "pdopt": prefix + ".pdopt", "meta": prefix + ".meta.json"}


def save_checkpoint(prefix, model, optimizer, meta):
    """Save model and optimizer state at `prefix` (e.g. "run/last") with metadata; return the metadata.

    Args:
        prefix: path without suffix; the directory must exist.
        model: the `paddle.nn.Layer` (unwrapped, not `paddle.DataParallel`).
        optimizer: its optimizer (the LR scheduler state travels inside its state dict).
        meta: JSON-serialisable dict (epoch, config, model name, history, ...); format_version,
            model class, parameter count, checksums and parameter-name map are added here.
    """
    params = _paddle_bytes(model.state_dict())
    opt = _paddle_bytes(optimizer.state_dict())
    meta = dict(meta, format_version=FORMAT_VERSION,
                model_class=type(model).__name__, num_params=count_parameters(model),
                optimizer_class=type(optimizer).__name__,
                param_names={name: p.name for name, p in model.named_parameters()},
                sha256={"pdparams": _sha256(params), "pdopt": _sha256(opt)})
    paths = checkpoint_paths(prefix)
    temps = []
    try:
        for data, key in ((params, "pdparams"), (opt, "pdopt"), (_json_bytes(meta), "meta")):
            temps.append((_write_temp(paths[key], data), paths[key]))
    except BaseException:
        for temp, _ in temps:
            os.remove(temp)
        raise
    _commit(temps)
    return meta


# ---- loading ------------------------------------------------------------------------------------

def resolve_prefix(path):
    """Accept a run directory (-> its "last" checkpoint), a prefix, or any of the checkpoint files."""
    path = os.fspath(path)
    if os.path.isdir(path):
        return os.path.join(path, "last")
    for suffix in SUFFIXES:
        if path.endswith(suffix):
            return path[:-len(suffix)]
    return path


def _describe(meta):
    if meta is None:
        return "a checkpoint without ecapaddle metadata"
    return (f"a checkpoint of {meta.get('model_class')} '{meta.get('model_name')}' "
            f"({meta.get('num_params'):,} parameters, epoch {meta.get('epoch')})")


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
    renamed, stray = {}, []
    for key, value in state.items():
        if key in OPTIMIZER_EXTRA_KEYS:
            continue
        # keys are "<param name>_<accumulator>_<n>", e.g. "linear_3.w_0_moment1_0"
        owner = max((old for old in by_old_name if key.startswith(old + "_")), key=len, default=None)
        if owner is None:
            stray.append(key)
            continue
        param = by_old_name[owner]
        if "moment" in key and list(value.shape) != list(param.shape):
            raise CheckpointMismatchError(
                f"the optimizer state in {path} is from another run: {key} has shape {list(value.shape)}, "
                f"parameter {param.name} has {list(param.shape)}.")
        renamed[param.name + key[len(owner):]] = value
    if stray:
        raise CheckpointMismatchError(
            f"the optimizer state in {path} is from another run: keys {_listed(stray)} belong to no "
            f"parameter of {meta.get('model_class')}.")
    if "LR_Scheduler" in state:
        renamed["LR_Scheduler"] = state["LR_Scheduler"]
    if "master_weights" in state:
        renamed["master_weights"] = {by_old_name[k].name: v for k, v in state["master_weights"].items()
                                     if k in by_old_name}
    return renamed


def load_checkpoint(model, path, optimizer=None):
    """Load weights (and optionally optimizer + LR scheduler state) into `model`; return the metadata.

    Args:
        model: the `paddle.nn.Layer` to fill; it must have the checkpoint's architecture.
        path: a run directory (its "last" checkpoint), a prefix like "run/best", or one of the
            checkpoint's files. A .pdparams without .meta.json (e.g. saved by the notebook) is
            accepted for the weights alone.
        optimizer: if given, an optimizer over `model.parameters()` of the same type as the run's.

    Returns the metadata dict (None for a bare .pdparams). Raises FileNotFoundError (missing
    files), CheckpointError (corrupt/truncated files, newer format) or CheckpointMismatchError
    (weights of another model, optimizer state of another run), each naming the file.
    """
    prefix = resolve_prefix(path)
    paths = checkpoint_paths(prefix)
    if not os.path.isfile(paths["pdparams"]):
        raise FileNotFoundError(
            f"no checkpoint at {prefix}: {paths['pdparams']} does not exist "
            f"(expected {prefix}.pdparams/.pdopt/.meta.json as written by ecapaddle.train)")
    meta = read_json(paths["meta"], "checkpoint metadata") if os.path.isfile(paths["meta"]) else None
    if meta is not None:
        version = meta.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise CheckpointError(f"{paths['meta']} has format_version {version!r}; this ecapaddle reads "
                                  f"up to {FORMAT_VERSION}. Upgrade ecapaddle to load it.")
        missing = [k for k in META_KEYS if k not in meta]
        if missing:
            raise CheckpointError(f"{paths['meta']} lacks the keys {missing}; it was not written by "
                                  f"ecapaddle.engine.save_checkpoint.")
    sha = meta["sha256"] if meta is not None else {}
    state = _read_paddle_file(paths["pdparams"], sha.get("pdparams"), paths["meta"])
    check_state_dict(model, state, source=f"{paths['pdparams']} is {_describe(meta)}")
    if optimizer is not None:
        if meta is None:
            raise CheckpointError(f"cannot load optimizer state for {paths['pdparams']} without its metadata "
                                  f"file {paths['meta']}; load the weights alone with optimizer=None.")
        if meta.get("optimizer_class") != type(optimizer).__name__:
            raise CheckpointMismatchError(f"{paths['pdopt']} holds {meta.get('optimizer_class')} state, "
                                          f"not {type(optimizer).__name__}.")
        opt_state = _read_paddle_file(paths["pdopt"], sha.get("pdopt"), paths["meta"])
        opt_state = _renamed_optimizer_state(opt_state, model, meta, paths["pdopt"])
    model.set_state_dict(state)
    if optimizer is not None:
        optimizer.set_state_dict(opt_state)
    return meta
