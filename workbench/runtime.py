"""Thread counts of the numeric libraries, set once per process from ``experiment.threads``.

Torch, LightGBM and the BLAS behind numpy run OpenMP thread pools whose idle threads
spin while they wait for work. On a machine with other work on it that spinning
steals the cores the busy threads need, and a stage slows several-fold. Here every
pool gets the same deliberate size (the cores this process may use, unless the
config says otherwise) and OpenMP threads sleep while they wait (``OMP_WAIT_POLICY``
passive), which costs almost nothing on an idle machine.

The pools read their environment when the library loads, so the runner sets it for
the kernels it starts (:func:`thread_env`), and a process that is already running
(a test, a notebook opened by hand) calls :func:`set_threads`.
"""

from __future__ import annotations

import os
import sys

# the variables OpenMP, the BLAS libraries and numexpr read when they load
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_MAX_THREADS",
                    "VECLIB_MAXIMUM_THREADS")


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # macOS, Windows
        return max(os.cpu_count() or 1, 1)


def joblib_workers(n_jobs: int, cpus: int) -> int:
    """Workers that joblib's ``n_jobs`` asks for on ``cpus`` CPUs: a positive count as it is,
    ``-1`` every CPU, ``-2`` all but one, and so on; at least one."""
    return max(n_jobs if n_jobs > 0 else cpus + 1 + n_jobs, 1)


def resolve_threads(threads: int | None) -> int:
    """``experiment.threads``: ``None`` or 0 means every available core; a negative number
    leaves that many cores free (``-1``: all but one, at least one)."""
    cores = available_cores()
    if not threads:
        return cores
    if threads < 0:
        return max(cores + threads, 1)
    return threads


def thread_env(threads: int | None) -> dict[str, str]:
    """Environment for a child process (a notebook kernel) with pools of ``threads`` threads
    whose idle threads sleep instead of spinning."""
    n = str(resolve_threads(threads))
    return {**dict.fromkeys(THREAD_VARIABLES, n), "OMP_WAIT_POLICY": "PASSIVE", "WORKBENCH_THREADS": n}


def set_threads(threads: int | None) -> int:
    """Size the pools of this process: the environment for libraries not loaded yet, torch's
    intra-op pool where torch is loaded, and the OpenMP/BLAS pools already loaded (threadpoolctl). Returns the count."""
    n = resolve_threads(threads)
    for key, value in thread_env(n).items():
        os.environ[key] = value
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    torch = sys.modules.get("torch")  # not loaded yet: it reads OMP_NUM_THREADS when it is
    if torch is not None:
        torch.set_num_threads(n)
    return n
