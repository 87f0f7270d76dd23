"""`--procs N` of the command line: the CLI re-launches itself as N one-thread data-parallel processes.

`python -m ecapaddle train --procs N` (or `compare`) checks its options and output folder, then
runs `python -m paddle.distributed.launch --nproc_per_node N python -m ecapaddle <same options>`
with OMP_NUM_THREADS=1 and `--threads 1`; the launched workers (PADDLE_TRAINERS_NUM set) train
with `paddle.DataParallel` over gloo, as the engine already does on GPUs. Process 0 writes the
files; its output is shown, every worker's log is kept in <out>/launch-logs/workerlog.<rank>. The launcher's
other files there (envlog.<rank> and backup_env.<rank>.json always, default.<job>.log at times) copy every
environment variable, access tokens included, into a folder people share; they are deleted when the workers end.

Relation to a single-process run: the global batch stays --batch-size and each of the N processes
takes batch/N images of it, with the same shuffled order, learning-rate schedule and averaged
gradients. Each process draws its own random augmentation (and dropout, mixup) stream, seeded from
(seed, epoch, rank), so a --procs N run is deterministic for that N but not bitwise equal to a
--procs 1 run: it is the same recipe with different random draws, statistically equivalent. Every process
validates on the whole validation set after each epoch.
"""
import os
import subprocess
import sys


WORKER_ENV = ("PADDLE_TRAINER_ID", "PADDLE_TRAINERS_NUM")
LOG_FOLDER = "launch-logs"
WORKER_LOG = "workerlog."
QUIET_CCACHE_WARNING = "ignore:No ccache found:UserWarning"
PROCS_HELP = ("data-parallel training in N processes of one thread each (auto: one per available core), launched "
              "through paddle.distributed; the global batch stays --batch-size and each process takes batch/N of it. "
              "Deterministic for a given N, but each process draws its own augmentation, so not bitwise equal to "
              "--procs 1 (the same recipe, statistically). Worker logs go to <out>/" + LOG_FOLDER + ". Default 1")


def is_launched_worker():
    """True in a process started by paddle.distributed.launch (or spawn)."""
    return any(name in os.environ for name in WORKER_ENV)


def needs_launch(procs):
    """Whether this process should start `procs` workers instead of training itself."""
    return procs > 1 and not is_launched_worker()


def launch_command(argv, procs, log_dir):
    """The command line that runs `python -m ecapaddle <argv>` in `procs` data-parallel processes."""
    return [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", str(procs), "--max_restart", "0",
            "--log_level", "WARNING", "--log_dir", os.fspath(log_dir), sys.executable, "-u", "-m", "ecapaddle", *argv]


def launch_workers(argv, procs, out_dir, batch_size):
    """Run the CLI command `argv` in `procs` one-thread workers writing into `out_dir`; return the exit code.

    The workers get `--out out_dir --force --threads 1` appended: this process has already checked and
    created `out_dir`, and each worker must use one core.
    """
    if batch_size % procs:
        raise ValueError(f"--batch-size {batch_size} must be divisible by --procs {procs}: each process takes "
                         f"an equal share of the global batch")
    log_dir = os.path.join(out_dir, LOG_FOLDER)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # GLOG_minloglevel=1: without Paddle's INFO lines (gloo's TCP store); the launcher imports Paddle before
    # ecapaddle can hide its warning that ccache (for C++ extensions) is missing
    env = dict(os.environ, OMP_NUM_THREADS="1", GLOG_minloglevel=os.environ.get("GLOG_minloglevel", "1"),
               PYTHONWARNINGS=",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), QUIET_CCACHE_WARNING])),
               PYTHONPATH=os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])))
    print(f"launching {procs} data-parallel processes (one thread each); logs in {log_dir}", flush=True)
    worker_argv = [*argv, "--out", os.fspath(out_dir), "--force", "--threads", "1"]
    try:
        code = subprocess.run(launch_command(worker_argv, procs, log_dir), env=env).returncode
    finally:
        keep_worker_logs_only(log_dir)
    if code:
        print(f"error: the {procs} training processes failed (exit code {code}); see {log_dir}/workerlog.<rank>",
              file=sys.stderr)
    return code


def keep_worker_logs_only(log_dir):
    """Delete every file in `log_dir` but the workers' logs (workerlog.<rank>): the others are the launcher's
    copies of the whole environment."""
    if os.path.isdir(log_dir):
        for name in os.listdir(log_dir):
            path = os.path.join(log_dir, name)
            if os.path.isfile(path) and not name.startswith(WORKER_LOG):
                os.remove(path)
