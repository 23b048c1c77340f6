"""Run the app under uvicorn in one or more processes sharing one listening socket.

One Python process answers HTTP on one core at a time (the GIL). With
`workers=2`, the process that loaded the model forks a second after the model
is loaded and the socket bound, so both share the model's memory
(copy-on-write), and the kernel hands each new connection to whichever
process accepts it first. Stopping the first process (Ctrl-C, SIGINT,
SIGTERM) stops the others.
"""

from __future__ import annotations

import os
import signal
import traceback

from digitlab.errors import DigitlabError


def serve(app, sock, workers: int = 1) -> None:
    """Serve `app` on the bound, listening `sock` until interrupted."""
    if workers > 1 and not hasattr(os, "fork"):
        raise DigitlabError("--workers above 1 needs os.fork (Linux, macOS); use --workers 1 here")
    children, parent = [], os.getpid()
    try:
        for _ in range(workers - 1):
            pid = _fork()
            if pid == 0:  # a worker: serve, then leave without running the parent's clean-up
                _worker(app, sock, parent)
            children.append(pid)
        _run(app, sock)
    finally:
        for pid in children:
            _stop(pid)


def _fork() -> int:
    """os.fork with Ctrl-C held back meanwhile: one arriving inside fork's own hooks is lost."""
    stop = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    try:
        return os.fork()
    finally:  # a signal that came meanwhile is delivered now, at a point where it is handled
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)


def _worker(app, sock, parent: int) -> None:
    # SIGTERM is how the parent stops a worker: uvicorn shuts down, then re-raises it to end the
    # process. The CLI's handler (SIGTERM unwinds like Ctrl-C) is the parent's; here the default ends it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(parent)
    try:
        _run(app, sock)
    except BaseException:  # noqa: BLE001 - say why on stderr, then leave all the same
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _die_with(parent: int) -> None:
    """Have the kernel send us SIGTERM when `parent` dies, however it dies (Linux).

    uvicorn ends its own process by re-raising SIGTERM after a clean shutdown, so the
    parent's `finally` never runs then; without this a worker would outlive it.
    """
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent's `finally` is all there is
        return
    if os.getppid() != parent:  # it died before the line above took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _run(app, sock) -> None:
    import gc

    import uvicorn
    from threadpoolctl import threadpool_limits

    # The model, torch and the app are loaded for good: freezing them keeps the collector from
    # re-scanning them in the full collections that otherwise pause requests now and then.
    gc.freeze()

    # One batch of a few digits is too small to split across BLAS threads; extra threads only
    # spin and take CPU from the other requests (measured: 5.9 -> 3.3 ms of server CPU per request).
    try:
        with threadpool_limits(1):
            uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after a clean shutdown; stopping is the plan
        pass


def _stop(pid: int) -> None:
    """Ask a worker to finish its requests and leave (uvicorn shuts down on SIGTERM), then reap it."""
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):  # it had already gone
        pass
