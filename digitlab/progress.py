"""Progress of every long loop, shown one way: a tqdm bar on a terminal, one line per step elsewhere.

Training epochs in each engine, cross-validation, predicting many files and downloads all report
through `Progress`, as Keras and Lightning do: a bar when stderr is a terminal, one plain line per
step when it is not (a log file keeps a readable history), nothing at `verbose=0` (the CLI's
`--quiet`; scikit-learn's default for estimators used as a library).

    with Progress(epochs, "training", verbose=1, inner=batches_per_epoch) as progress:
        for epoch in ...:
            for batch in ...:
                progress.advance()          # moves the bar (terminal only)
            progress.step(loss=0.1234)      # one epoch done: the bar's postfix, or a line
"""

from __future__ import annotations

import sys
import time
from typing import Self


class Progress:
    """`total` steps of `desc`; `inner` finer units per step that only the bar counts (None: none).

    `lines=False` prints nothing off a terminal (a download counts bytes, not steps worth a line).
    """

    def __init__(self, total: int | None, desc: str, unit: str = "epoch", verbose=1, inner: int | None = None,
                 lines: bool = True, file=None):
        self.total, self.desc, self.unit, self.inner, self.lines = total, desc, unit, inner, lines
        self.file = file if file is not None else sys.stderr
        self.verbose, self.done, self.started = verbose, 0, time.perf_counter()
        self.bar = None
        if verbose and _is_terminal(self.file):
            from tqdm import tqdm

            bar_total = None if total is None else total * (inner or 1)
            self.bar = tqdm(total=bar_total, desc=desc, unit=(unit if inner is None else "batch"), leave=False,
                            file=self.file, unit_scale=unit == "B", dynamic_ncols=True)

    def advance(self, n: int = 1) -> None:
        """n finer units done (batches, bytes): the bar moves, no line is printed."""
        if self.bar is not None:
            self.bar.update(n)

    def step(self, **shown) -> None:
        """One step done; `shown` (loss=..., acc=...) goes on the bar or into the step's line."""
        self.done += 1
        if self.bar is not None:
            if self.inner is None:
                self.bar.update(1)
            if shown:
                self.bar.set_postfix({k: _format(v) for k, v in shown.items()}, refresh=True)
        elif self.verbose and self.lines:
            of = f"/{self.total}" if self.total else ""
            values = "".join(f"  {k} {_format(v)}" for k, v in shown.items())
            elapsed = time.perf_counter() - self.started
            print(f"{self.desc}: {self.unit} {self.done}{of}{values}  ({elapsed:.1f} s)", file=self.file,
                  flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    return str(value)
