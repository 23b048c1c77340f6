"""Nothing half-written, nothing left behind: atomic writes, SIGTERM, and the sweep of stale temporaries.

The oracle is the folder's listing: after a failed or killed write it holds exactly what it held before
(the old file, byte for byte), and no temporary of ours survives a caught exit or the next write once
stale. Interrupted downloads are tested end to end in test_data_download.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from digitlab import files
from digitlab.files import atomic_dir, atomic_path, final_name, sweep_stale, write_text

REPO = Path(__file__).resolve().parents[1]


def _fitted_model():
    from digitlab.nn.estimators import MLPClassifier

    rng = np.random.default_rng(0)
    X, y = rng.random((40, 16), dtype=np.float32), np.arange(40) % 4
    return MLPClassifier((8,), max_iter=2, random_state=0).fit(X, y)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_an_error_mid_save_keeps_the_old_model_and_leaves_nothing(tmp_path, monkeypatch, error):
    from digitlab.models import load_model, save_model

    model, path = _fitted_model(), tmp_path / "model.npz"
    save_model(model, path)
    before = path.read_bytes()

    def half_then_fail(f, **arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise error

    monkeypatch.setattr(np, "savez_compressed", half_then_fail)
    with pytest.raises(type(error)):
        save_model(model, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"] and path.read_bytes() == before
    monkeypatch.undo()
    load_model(path)


def test_an_error_mid_run_folder_leaves_no_folder(tmp_path):
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "run") as tmp:
        (tmp / "settings.json").write_text("{}")
        assert final_name(tmp) == "run"
        raise RuntimeError("report failed")
    assert list(tmp_path.iterdir()) == []


SLOW_WRITER = """
import sys, time
from digitlab.cli import _sigterm_unwinds, Terminated
from digitlab.files import atomic_path
try:
    with _sigterm_unwinds(), atomic_path(sys.argv[1]) as tmp:
        tmp.write_bytes(b"x" * 1000)
        print("writing", flush=True)
        time.sleep(60)
except Terminated:
    sys.exit(143)
"""


def _killed_writer(target: Path, sig) -> int:
    process = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(target)], stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdout.readline().strip() == "writing"
    process.send_signal(sig)
    process.wait(timeout=30)
    return process.returncode


def test_sigterm_mid_write_removes_the_temporary(tmp_path):
    target = tmp_path / "model.npz"
    target.write_bytes(b"old")
    assert _killed_writer(target, signal.SIGTERM) == 143
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"] and target.read_bytes() == b"old"


def test_sigkills_temporary_is_swept_by_the_next_write_once_stale(tmp_path):
    target = tmp_path / "model.npz"
    assert _killed_writer(target, signal.SIGKILL) == -signal.SIGKILL
    (left,) = [p for p in tmp_path.iterdir()]
    assert left.name.startswith(".model.npz.") and left.name.endswith(".part")
    write_text(tmp_path / "other.txt", "fresh")
    assert left.exists()  # written moments ago: wait a minute, in case the writer lives on elsewhere
    _age(left, 2 * files.QUIET_SECONDS)
    write_text(tmp_path / "other.txt", "again")  # any write into the folder sweeps it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.txt"]


def test_the_sweep_removes_only_stale_temporaries_of_ours(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    names = {
        f".model.npz.{dead}-abcd_123.part": ("file", True),         # ours, writer gone, old
        f".run-1.{dead}-zz99zz99.part": ("dir", True),             # a run folder's, writer gone, old
        f".model.npz.{alive}-abcd_123.part": ("file", False),      # its writer is still running
        ".model.npz.abcdefgh.part": ("file", True),                 # an older digitlab's name, over an hour old
        ".other.npz.abcdefgh.part": ("file", False),                # older name but another target: not sure
        ".model.npz.part": ("file", False),                         # not our pattern
        f"model.npz.{dead}-abcd_123.part": ("file", False),         # not hidden: not ours
        "notes.part": ("file", False),
    }
    for name, (kind, _) in names.items():
        path = tmp_path / name
        path.mkdir() if kind == "dir" else path.write_bytes(b"x")
        if kind == "dir":
            (path / "settings.json").write_text("{}")
        _age(path, 2 * files.ORPHAN_SECONDS)
    fresh = tmp_path / f".model.npz.{dead}-fresh000.part"
    fresh.write_bytes(b"x")  # its writer is gone but it changed seconds ago
    ancient = tmp_path / f".model.npz.{alive}-ancient0.part"
    ancient.write_bytes(b"x")
    _age(ancient, 2 * files.DAY_SECONDS)  # a PID that lives on (reused?), but untouched for two days
    swept = {p.name for p in sweep_stale(tmp_path / "model.npz")}
    assert swept == {name for name, (_, stale) in names.items() if stale} | {ancient.name}
    assert {p.name for p in tmp_path.iterdir()} == (set(names) - swept) | {fresh.name}


def test_a_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from digitlab.torch_engine.checkpoint import load_checkpoint, save_checkpoint

    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, {"epoch": 1, "w": torch.ones(3)})

    def fail(state, f):
        Path(f).write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", fail)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {"epoch": 2})
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"] and load_checkpoint(path)["epoch"] == 1


def test_atomic_path_gives_the_usual_mode(tmp_path):
    with atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~mask
