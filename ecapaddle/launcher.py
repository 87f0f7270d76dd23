"""`--procs N` of the command line: the CLI re-launches itself as N one-thread data-parallel processes.

After checking its options and output folder, `train --procs N` (or `compare`) runs `python -m
paddle.distributed.launch --nproc_per_node N python -m ecapaddle <same options> --threads 1`; the workers
train with `paddle.DataParallel` over gloo (how such a run relates to a single-process one: PROCS_HELP).
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


def needs_launch(procs):
    """Whether this process should start `procs` workers instead of training itself (it is not one of them)."""
    return procs > 1 and not any(name in os.environ for name in WORKER_ENV)


def launch_command(argv, procs, log_dir):
    """The command line that runs `python -m ecapaddle <argv>` in `procs` data-parallel processes."""
    return [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", str(procs), "--max_restart", "0",
            "--log_level", "WARNING", "--log_dir", os.fspath(log_dir), sys.executable, "-u", "-m", "ecapaddle", *argv]


def launch_workers(argv, procs, out_dir, batch_size):
    """Run the CLI command `argv` in `procs` one-thread workers writing into `out_dir` (already checked and
    created, hence `--force`); return the exit code."""
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
    """Delete every file in `log_dir` but the workers' logs (workerlog.<rank>): the launcher's other files there
    copy every environment variable, access tokens included, into a folder people share."""
    if os.path.isdir(log_dir):
        for name in os.listdir(log_dir):
            path = os.path.join(log_dir, name)
            if os.path.isfile(path) and not name.startswith(WORKER_LOG):
                os.remove(path)
