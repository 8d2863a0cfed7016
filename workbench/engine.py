"""The engine of per-series work: joblib on this machine, Ray past it (``experiment.engine``).

Every per-series fan-out (one statistical model fitted per series) calls :func:`parallel_map`,
with the same function and batches whichever the engine: with ``local`` joblib's process pool
(loky) runs them on this machine; with ``ray`` each batch is a Ray task
(https://docs.ray.io/en/latest/ray-core/tasks.html) on any node of the cluster. Global and deep
models do not fan out per series and stay in the notebook's process (Lightning for the deep ones).

Where Ray runs is decided once per run, in the runner (:func:`engine_session`): with
``experiment.ray.address`` null it starts a local instance for the run and stops it at the end,
also when the run fails or is interrupted; with an address it joins that cluster. Either way it
tells the notebook kernels through their environment (``WORKBENCH_ENGINE`` and Ray's own
``RAY_ADDRESS``), and a kernel joins the instance lazily, the first time a fan-out runs
(:func:`connect`). Ray's workers import the workbench as the kernel does: a local instance shares
this machine's files and Python; a cluster's nodes need the workbench installed (README).
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import IO, Any, TypeVar

from joblib import Parallel, delayed

from workbench.config.experiment import Engine, ExperimentConfig
from workbench.runtime import THREAD_VARIABLES, joblib_workers

ENGINE_ENV = "WORKBENCH_ENGINE"  # the run's experiment.engine, for the kernels
ADDRESS_ENV = "RAY_ADDRESS"  # Ray's own variable: the instance the kernels join

T = TypeVar("T")
R = TypeVar("R")


class EngineError(ValueError):
    """The engine setting cannot work here (Ray cannot start, or the address cannot be joined).

    A ``ValueError``, so the runner prints it as one line and exits 2; the message names the setting."""


def current_engine() -> Engine:
    """The engine of this process: ``WORKBENCH_ENGINE`` as the runner set it, else local."""
    value = os.environ.get(ENGINE_ENV) or Engine.local
    try:
        return Engine(value)
    except ValueError:
        raise EngineError(f"{ENGINE_ENV}={value!r} (experiment.engine): expected one of"
                          f" {[e.value for e in Engine]}") from None


@contextmanager
def use_engine(engine: Engine | str, address: str | None = None) -> Iterator[Engine]:
    """Run the fan-outs inside on ``engine`` (and, for Ray, the instance at ``address``); this
    process's environment, and so that of the kernels it starts, is restored on the way out."""
    try:
        chosen = Engine(engine)
    except ValueError:
        raise EngineError(f"experiment.engine={engine!r}: expected one of {[e.value for e in Engine]}") from None
    with _environment({ENGINE_ENV: chosen.value, **({ADDRESS_ENV: address} if address is not None else {})},
                      restore=(ENGINE_ENV, ADDRESS_ENV)):
        yield chosen


@contextmanager
def _environment(values: dict[str, str], restore: tuple[str, ...] = ()) -> Iterator[None]:
    """This process's environment with ``values`` set; on the way out, those and the ``restore``
    variables are as they were."""
    saved = {key: os.environ.get(key) for key in (*values, *restore)}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _chatter_to(stream: IO[str]) -> Iterator[None]:
    """Send what Ray says while it starts or connects (warnings, notices) to ``stream``, not to a
    report or the terminal."""
    with warnings.catch_warnings(), redirect_stdout(stream), redirect_stderr(stream):
        warnings.simplefilter("ignore")
        yield


def _init_ray(setting: str, log: IO[str], **kwargs: Any) -> Any:
    """``ray.init`` with Ray's logging quiet and its workers' output kept off this process's.

    ``ray.init`` installs a SIGTERM handler of its own (``sys.exit``) in the main thread; the one
    that was there (the runner's: stop the run and mark it interrupted) is put back."""
    import ray

    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main else None
    try:
        with _chatter_to(log):
            return ray.init(logging_level=logging.ERROR, log_to_driver=False, **kwargs)
    except Exception as err:
        raise EngineError(f"{setting}: Ray cannot start or join the instance there: {type(err).__name__}: {err}") from err
    finally:
        if main and previous is not None:
            signal.signal(signal.SIGTERM, previous)


def connect() -> None:
    """Join the Ray instance at ``RAY_ADDRESS`` once per process (nothing if already joined)."""
    import ray

    if ray.is_initialized():
        return
    address = os.environ.get(ADDRESS_ENV)
    if not address:
        raise EngineError(f"experiment.engine=ray, but {ADDRESS_ENV} is not set: run through"
                          " `python -m workbench.run experiment.engine=ray`, or set it to a cluster's address")
    # the kernel's own stderr is kernel.log; a process without one drops the chatter
    log = sys.__stderr__ or open(os.devnull, "w")  # noqa: SIM115 - stays open with the process
    _init_ray(f"experiment.ray.address={address!r}", log, address=address, ignore_reinit_error=True)


def _run_batch(fn: Callable[[T], R], batch: list[T]) -> list[R]:
    """One Ray task: ``fn`` over a batch of items, in a worker process that Ray keeps for later tasks."""
    return [fn(item) for item in batch]


def _ray_map(fn: Callable[[T], R], items: list[T], n_jobs: int, batch_size: int | str) -> list[R]:
    """``parallel_map`` on Ray: one task per batch, at most ``n_jobs`` of them running at once.

    Ray's joblib backend (``ray.util.joblib``) would run the same joblib call, but it starts a pool
    of new actor processes for every call, each starting Python and importing the model libraries
    again: 13 s per backtest fit of the quick experiment on two cores, against 2 s with loky. Task
    workers stay alive between calls (Ray keeps as many as there are CPUs): only the first call pays."""
    import ray

    connect()
    cpus = max(int(ray.cluster_resources().get("CPU", 1)), 1)
    workers = min(joblib_workers(n_jobs, cpus), cpus)
    size = batch_size if isinstance(batch_size, int) else max(1, math.ceil(len(items) / (4 * workers)))
    batches = [items[k:k + size] for k in range(0, len(items), size)]
    remote, fn_ref = ray.remote(num_cpus=1)(_run_batch), ray.put(fn)  # the function (a model factory) travels once
    refs, running = [], []
    for batch in batches:
        if len(running) >= workers:
            _, running = ray.wait(running, num_returns=1)
        refs.append(remote.remote(fn_ref, batch))
        running.append(refs[-1])
    return [result for part in ray.get(refs) for result in part]


def parallel_map(fn: Callable[[T], R], items: Iterable[T], *, n_jobs: int = -1,
                 batch_size: int | str = "auto") -> list[R]:
    """``[fn(item) for item in items]``, in parallel on this process's engine, in order.

    ``n_jobs`` and ``batch_size`` are joblib's: ``-1`` is every core here, or every CPU of the
    Ray cluster; items go to a worker ``batch_size`` at a time. Locally this is one joblib
    ``Parallel`` call (loky's process pool, reused between calls); on Ray it is one task per
    batch (:func:`_ray_map`). Either way ``fn`` and the items travel pickled (cloudpickle):
    module-level functions, closures over plain data, NumPy and Darts objects all do. An error
    in ``fn`` is raised here (on Ray as a ``RayTaskError`` that is also an instance of it)."""
    items = list(items)
    if current_engine() is Engine.ray:
        return _ray_map(fn, items, n_jobs, batch_size)
    return Parallel(n_jobs=n_jobs, batch_size=batch_size)(delayed(fn)(item) for item in items)


@contextmanager
def engine_session(exp: ExperimentConfig, log: Path | None = None) -> Iterator[str | None]:
    """The run's engine, from before its first notebook to after its last (the runner's).

    Local: the kernels are told so. Ray: a local instance of ``experiment.ray.num_cpus`` CPUs is
    started here (``experiment.ray.address`` null) or the cluster at the address is joined, which
    checks it once before any notebook; the kernels are told the address; at the end this process
    leaves the instance and stops the one it started, also on an error or a signal. Yields the
    address the kernels join (``None`` for local). Ray's start-up chatter goes to ``log``."""
    with ExitStack() as stack:
        if exp.engine != Engine.ray:
            stack.enter_context(use_engine(Engine.local))
            yield None
            return
        import ray

        stream = stack.enter_context(open(log if log is not None else os.devnull, "a"))
        if exp.ray.address is None:
            # the instance's workers inherit this environment: one thread each, as Ray gives a
            # one-CPU task where nothing says otherwise, not the runner's pools sized for a notebook
            with _environment(dict.fromkeys(THREAD_VARIABLES, "1")):
                context = _init_ray("experiment.engine=ray (a local instance: experiment.ray.address=null)",
                                    stream, num_cpus=exp.ray.num_cpus, include_dashboard=False)
            address = context.address_info["address"]
        else:
            _check_reachable(exp.ray.address)
            _init_ray(f"experiment.ray.address={exp.ray.address!r}", stream, address=exp.ray.address)
            address = exp.ray.address
        stack.callback(_shutdown, ray, stream)
        stack.enter_context(use_engine(Engine.ray, address))
        yield address


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Something answers at a ``host:port`` address (``ray://`` or not); ``auto`` is Ray's to find.

    Ray itself retries an address where nothing listens for minutes, printing to the terminal."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except (OSError, ValueError) as err:
        raise EngineError(f"experiment.ray.address={address!r}: nothing answers there ({err}); expected a running"
                          " Ray cluster's GCS (host:6379) or its Ray Client server (ray://host:10001)") from None


def _shutdown(ray: Any, stream: IO[str]) -> None:
    """Leave Ray, and stop the local instance this process started, waiting until its processes
    have exited (a sweep's next run starts clean); quietly, as it started."""
    with _chatter_to(stream):
        ray.shutdown(wait_for_processes=True)


def start_message(exp: ExperimentConfig, address: str | None, seconds: float) -> str:
    """One line for the terminal: where the run's per-series work goes."""
    if exp.engine != Engine.ray:
        return "engine: local (joblib)"
    if exp.ray.address is None:
        import ray

        cpus = int(ray.cluster_resources().get("CPU", 0))
        return f"engine: ray, a local instance at {address} with {cpus} CPUs (started in {seconds:.0f} s)"
    return f"engine: ray, the cluster at {address} (joined in {seconds:.0f} s)"


__all__ = ["ADDRESS_ENV", "ENGINE_ENV", "EngineError", "connect", "current_engine", "engine_session",
           "parallel_map", "start_message", "use_engine"]
