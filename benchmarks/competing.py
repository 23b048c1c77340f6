"""Competing load for the speed benchmarks: busy processes beside the one being timed, as other people's
jobs on a shared box, so a "beside other jobs" figure can be reproduced.

    with competing(2):
        ...  # timed beside two busy single-threaded processes; they are ended on the way out
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time

# a pure-Python busy loop (one thread, no BLAS: it takes a core and nothing else); it also ends by
# itself when the benchmark dies or after 15 minutes, so none is left spinning
SPIN = """import os, time
parent, end = os.getppid(), time.monotonic() + 900
while os.getppid() == parent and time.monotonic() < end:
    for _ in range(100_000):
        pass
"""


@contextlib.contextmanager
def competing(n: int):
    """n busy single-threaded Python processes beside this one while the block runs."""
    procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(n)]
    try:
        time.sleep(1.0)  # let them reach the CPUs before anything is timed
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
