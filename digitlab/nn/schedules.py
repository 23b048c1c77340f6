"""Learning-rate schedules: lr as a function of training progress t = step / total_steps in [0, 1).

    constant   lr0
    step       lr0, then lr0/10 from t = 0.5, then lr0/100 from t = 0.75
    cosine     lr0 * (1 + cos(pi t)) / 2                       (down to 0)
    onecycle   warm up linearly from lr0/25 to lr0 over the first 30%, then
               cosine down to lr0/1e4 (torch's OneCycleLR defaults)
"""

from __future__ import annotations

import math

SCHEDULES = ("constant", "step", "cosine", "onecycle")


def constant(lr0, t):
    return lr0


def step(lr0, t):
    return lr0 * (0.01 if t >= 0.75 else 0.1 if t >= 0.5 else 1.0)


def cosine(lr0, t):
    return lr0 * 0.5 * (1 + math.cos(math.pi * t))


def onecycle(lr0, t, warmup=0.3, start_div=25.0, final_div=1e4):
    if t < warmup:
        return lr0 / start_div + (lr0 - lr0 / start_div) * t / warmup
    u = (t - warmup) / (1 - warmup)
    low = lr0 / final_div
    return low + (lr0 - low) * 0.5 * (1 + math.cos(math.pi * u))


_FUNCTIONS = {"constant": constant, "step": step, "cosine": cosine, "onecycle": onecycle}


def learning_rate(schedule: str, lr0: float, t: float) -> float:
    """The learning rate at progress `t` under `schedule`."""
    if schedule not in _FUNCTIONS:
        raise ValueError(f"unknown schedule {schedule!r}; choose from {', '.join(SCHEDULES)}")
    return _FUNCTIONS[schedule](lr0, min(max(t, 0.0), 1.0))
