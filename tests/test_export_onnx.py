"""`digitlab export`: ONNX files that onnxruntime runs to the same probabilities, and npy folders."""

from __future__ import annotations

import json

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="ONNX export needs onnx (pip install 'digitlab[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the parity oracle is onnxruntime (pip install 'digitlab[onnx]')")

from digitlab.cli import main
from digitlab.models import load_model, save_model
from digitlab.models.export import export_model
from digitlab.nn import architecture as A
from digitlab.nn.estimators import from_weights
from digitlab.nn.network import Network

ARCHS = {
    "mlp-bn-dropout": A.mlp((32, 16), "relu", (1, 28, 28), 10, dropout=0.3, batchnorm=True),
    "cnn": A.cnn((4, 8), 16, (1, 28, 28), 10, dropout=0.25, batchnorm=True),
    "lenet5": A.lenet5((1, 28, 28), 10),
    "odd-layers": A.validate({"input_shape": [1, 9, 9], "layers": [
        {"type": "conv2d", "filters": 3, "kernel_size": 3, "stride": 2, "padding": 1},
        {"type": "leaky_relu", "negative_slope": 0.1}, {"type": "maxpool2d", "pool_size": 2, "stride": 1},
        {"type": "flatten"}, {"type": "dense", "units": 7}, {"type": "sigmoid"}, {"type": "dense", "units": 4},
        {"type": "sigmoid"}]}),
}


def _model(arch, seed=0):
    """A numpy-engine network with random weights and non-trivial batch-norm statistics."""
    rng = np.random.default_rng(seed)
    weights = Network(arch, rng=rng).get_weights()
    for name, w in weights.items():
        if name.endswith("running_var"):
            weights[name] = rng.uniform(0.5, 2.0, w.shape).astype(np.float32)
        elif name.endswith("running_mean"):
            weights[name] = rng.normal(0, 0.3, w.shape).astype(np.float32)
    classes = np.arange(arch["layers"][-1 if arch["layers"][-1]["type"] == "dense" else -2]["units"]) + 3
    return from_weights(arch, weights, classes)


@pytest.mark.parametrize("name", ARCHS)
def test_onnxruntime_gives_our_probabilities(name, tmp_path):
    model = _model(ARCHS[name])
    path = export_model(model, tmp_path / "m.onnx", info={"dataset": "test"})
    X = np.random.default_rng(1).random((50, int(np.prod(ARCHS[name]["input_shape"]))), np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probs, = session.run(["probabilities"], {"pixels": X})
    np.testing.assert_allclose(probs, model.predict_proba(X), atol=1e-5)
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(props["classes"]) == model.classes_.tolist()
    assert json.loads(props["info"]) == {"dataset": "test"}


def test_cli_exports_onnx_and_npy_dir_and_the_folder_loads_back(tmp_path, capsys):
    mlp = _model(ARCHS["mlp-bn-dropout"])
    dense = _model(A.mlp((12,), "relu", (1, 28, 28), 10))
    save_model(mlp, tmp_path / "mlp.npz", info={"test_accuracy": 0.5})
    save_model(dense, tmp_path / "dense.npz")
    assert main(["export", str(tmp_path / "mlp.npz"), "--format", "onnx", "-o", str(tmp_path / "out.onnx")]) == 0
    out = capsys.readouterr().out
    assert "onnxruntime parity" in out and (tmp_path / "out.onnx").is_file()
    assert main(["export", str(tmp_path / "dense.npz"), "--format", "npy-dir", "-o", str(tmp_path / "w")]) == 0
    assert {"W1.npy", "b1.npy", "W2.npy", "b2.npy"} <= {p.name for p in (tmp_path / "w").iterdir()}
    W1 = np.load(tmp_path / "w" / "W1.npy")
    assert W1.shape == (12, 784)  # the learners' layout: (out, in)
    back, _ = load_model(tmp_path / "w")
    X = np.random.default_rng(2).random((20, 784), np.float32)
    np.testing.assert_allclose(back.predict_proba(X), dense.predict_proba(X), atol=1e-6)


def test_export_errors_are_one_line(tmp_path, capsys):
    assert main(["export", str(tmp_path / "missing.npz"), "-o", str(tmp_path / "x.onnx")]) == 2
    assert "missing.npz" in capsys.readouterr().err
    from digitlab.models import make_model

    X = np.random.default_rng(0).random((20, 4))
    save_model(make_model("logreg").fit(X, np.arange(20) % 2), tmp_path / "lr.npz")
    assert main(["export", str(tmp_path / "lr.npz"), "-o", str(tmp_path / "x.onnx")]) == 2
    assert "only networks" in capsys.readouterr().err
    assert not (tmp_path / "x.onnx").exists()
