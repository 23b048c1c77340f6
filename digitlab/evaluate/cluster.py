"""Cross-validation fits on a Dask distributed cluster, through joblib's dask backend.

scikit-learn's `cross_validate` hands its fits to joblib; inside `on_cluster(...)`
joblib hands them to the cluster's workers instead of local processes. The
folds, seeds and estimators are the same, so the scores are the same; only
the fit times change. This module is the one place that imports dask, and it
does so only when a scheduler is given.

A worker that dies mid-fit: the scheduler reruns the fit on another worker
(up to `distributed.scheduler.allowed-failures` times, then `KilledWorker`),
unless the worker held data the fit needs; then `retrying` runs that model's
cross-validation again. Either way the comparison completes with every fold,
or stops with one line naming the model: never a partial table.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass

from digitlab.errors import DigitlabError

CONNECT_TIMEOUT = "10s"  # how long to wait for a scheduler before saying it cannot be reached
# [protocol://]host:port, the host a name, an IPv4 or a bracketed IPv6 address
ADDRESS = re.compile(r"([a-z]+://)?([\w.-]+|\[[0-9a-fA-F:.]+\]):\d{1,5}")
ATTEMPTS = 3  # cross-validations of one model that the cluster may lose before the comparison stops


@dataclass(frozen=True)
class Cluster:
    """Where the fits ran: the scheduler's address and the workers it had at the start."""

    address: str
    workers: int
    threads: int

    def __str__(self) -> str:
        return f"on the Dask cluster at {self.address} ({self.workers} workers, {self.threads} threads)"


@contextmanager
def on_cluster(scheduler=None, share=()):
    """Run the joblib work inside this block on a Dask cluster; yield a `Cluster` (None: local).

    scheduler : None (joblib's local processes, as without this block), a scheduler
        address such as "tcp://10.0.0.5:8786", or a `dask.distributed.Client`.
    share : the arrays every fit reads (X, y), copied to every worker once. A copy that
        joblib would send to one worker dies with it, and every fit waiting on it is lost.
    """
    if scheduler is None:
        yield None
        return
    from joblib import parallel_config

    client, owned = _client(scheduler)
    try:
        cores = client.ncores()  # {worker address: threads}
        with parallel_config(backend=_backend(client, list(share))):
            yield Cluster(client.scheduler.address, len(cores), sum(cores.values()))
    finally:
        if owned:
            client.close()


def _backend(client, scatter):
    """joblib's dask backend, that never runs the fits in this process: joblib runs a call
    itself when it counts one worker thread, so a one-thread cluster would sit idle."""
    from joblib._dask import DaskDistributedBackend

    class ClusterBackend(DaskDistributedBackend):
        def effective_n_jobs(self, n_jobs):
            return max(2, super().effective_n_jobs(n_jobs))

    return ClusterBackend(client=client, scatter=scatter)


def _client(scheduler):
    """(client, whether we opened it): an existing Client as given, an address connected to."""
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise DigitlabError("--scheduler needs Dask: pip install 'digitlab[cluster]'") from exc
    if isinstance(scheduler, Client):
        return scheduler, False
    if not isinstance(scheduler, str) or not ADDRESS.fullmatch(scheduler.strip()):
        raise DigitlabError(f"--scheduler: give a Dask scheduler address such as tcp://HOST:8786, "
                            f"got {scheduler!r}")
    try:
        return Client(scheduler.strip(), timeout=CONNECT_TIMEOUT, set_as_default=False), True
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DigitlabError(f"--scheduler {scheduler}: could not reach a Dask scheduler there "
                            f"({reason}); is `dask scheduler` running?") from exc


def retrying(fit, label: str, log=None):
    """`fit()`'s result; when the cluster loses its fits, `fit()` again, `ATTEMPTS` times in all.

    joblib sends each call's fold indices to one worker; when that worker dies the scheduler
    cannot rerun the fits that need them, so the whole cross-validation of `label` runs again on
    the workers left (same folds, same seeds: the same scores). A fit's own error is raised as it is.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return fit()
        except Exception as exc:
            if not lost(exc):
                raise
            if type(exc).__name__ == "KilledWorker":  # the scheduler already ran it elsewhere
                raise DigitlabError(f"cross-validating {label}: a fit's worker died each time it ran; "
                                    f"the comparison stopped ({_line(exc)})") from exc
            if attempt == ATTEMPTS:
                raise DigitlabError(f"cross-validating {label}: the Dask cluster lost its fits "
                                    f"{ATTEMPTS} times in a row; the comparison stopped "
                                    f"(last: {type(exc).__name__}: {_line(exc)})") from exc
            if log:
                log(f"the Dask cluster lost a fit of {label} ({type(exc).__name__}); "
                    f"cross-validating it again ({attempt + 1} of {ATTEMPTS})")


def lost(exc: BaseException) -> bool:
    """Whether `exc` is the cluster losing work (a worker died, a connection closed), not a fit's
    own error; judged by the exception's package, so asking needs no dask import."""
    return type(exc).__module__.split(".")[0] == "distributed"


def _line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
