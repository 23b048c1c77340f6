"""`digitlab train --engine torch`: the torch flags reach the estimator; torchrun runs the same command."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch engine needs PyTorch (pip install 'digitlab[torch]')")

from digitlab.cli import main
from digitlab.models import load_model

pytestmark = pytest.mark.usefixtures("torch_one_thread")


FLAGS = ["train", "--dataset", "digits", "--engine", "torch", "--model", "cnn", "--channels", "4,8", "--epochs", "2",
         "--batch-size", "64", "--lr", "0.003", "--augment", "affine", "--label-smoothing", "0.1", "--device", "cpu",
         "--schedule", "cosine", "--json"]


def test_cli_trains_checkpoints_and_resumes_to_the_same_model(tmp_path, capsys):
    ckpt = tmp_path / "cnn.ckpt"
    args = [*FLAGS, "--runs-dir", str(tmp_path), "--checkpoint", str(ckpt)]
    assert main([*args, "--name", "first"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["settings"]["params"]["augment"] == "affine"
    assert first["settings"]["params"]["channels"] == [4, 8]
    assert first["metrics"]["test"]["accuracy"] > 0.5  # 2 tiny epochs; chance is 0.1
    assert torch.load(ckpt, weights_only=True)["history"][-1]["epoch"] == 2
    # resuming a finished run trains no more: the same weights, the same scores
    assert main([*args, "--name", "again", "--resume"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["metrics"]["test"] == first["metrics"]["test"]
    a, _ = load_model(tmp_path / "first")
    b, _ = load_model(tmp_path / "again")
    for name, w in a.get_weights().items():
        np.testing.assert_array_equal(b.get_weights()[name], w)


def test_cli_torch_errors_are_one_line(tmp_path, capsys):
    assert main([*FLAGS, "--runs-dir", str(tmp_path), "--resume"]) == 2
    assert "resume needs a checkpoint" in capsys.readouterr().err
    assert main([*FLAGS, "--runs-dir", str(tmp_path), "--augment", "sideways"]) == 2
    assert "sideways" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # no half-written run folder


MLP_FLAGS = ["train", "--dataset", "digits", "--engine", "torch", "--model", "mlp", "--hidden", "32",
             "--epochs", "2", "--batch-size", "64", "--solver", "nesterov", "--lr", "0.05", "--schedule", "cosine",
             "--device", "cpu", "--subsample", "1280", "--json"]  # 1280 = 20 whole global batches


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(os.path.join(os.path.dirname(sys.executable), "torchrun")),
                    reason="torchrun not installed beside this python")
def test_torchrun_two_processes_write_one_run_equal_to_one_process(tmp_path, capsys):
    """`torchrun --nproc-per-node 2 -m digitlab train ...`: rank 0 alone writes; the model is the one-process one."""
    from digitlab.torch_engine.distributed import free_port

    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    cmd = [torchrun, "--nproc-per-node", "2", "--master-addr", "127.0.0.1", "--master-port", str(free_port()),
           "-m", "digitlab", *MLP_FLAGS, "--runs-dir", str(tmp_path / "ddp"), "--name", "ddp"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert [p.name for p in (tmp_path / "ddp").iterdir()] == ["ddp"]
    summary = json.loads(done.stdout)  # only rank 0 printed
    assert main([*MLP_FLAGS, "--runs-dir", str(tmp_path / "one"), "--name", "one"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert summary["metrics"]["test"]["accuracy"] == pytest.approx(one["metrics"]["test"]["accuracy"], abs=0.01)
    a, _ = load_model(tmp_path / "ddp" / "ddp")
    b, _ = load_model(tmp_path / "one" / "one")
    for name, w in b.get_weights().items():
        np.testing.assert_allclose(a.get_weights()[name], w, atol=1e-5, err_msg=name)
