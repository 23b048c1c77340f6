"""Without keras installed: the engine says how to get it in one line, keras-trained model
files still load (into the numpy engine), and nothing else imports keras."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from digitlab.models.modelfile import FORMAT, META_KEY, VERSION
from digitlab.nn import architecture as A

HIDE_KERAS = "import sys; sys.modules['keras'] = None\n"  # makes `import keras` fail like a missing package


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", HIDE_KERAS + code], capture_output=True, text=True, timeout=120,
                          check=False)


def test_keras_engine_without_keras_is_a_one_line_error(tmp_path):
    done = run_python(f"from digitlab.cli import main; sys.exit(main(['train', '--engine', 'keras', "
                      f"'--model', 'mlp', '--runs-dir', r'{tmp_path}']))")
    assert done.returncode == 2, done.stderr
    last = done.stderr.splitlines()[-1]  # after the "fitting ..." progress line
    assert last.startswith("digitlab: error:") and "pip install 'digitlab[keras]'" in last
    assert "Traceback" not in done.stderr


def test_keras_model_file_loads_into_the_numpy_engine_without_keras(tmp_path):
    arch = A.mlp((5,), input_shape=(1, 3, 3), n_classes=3)
    rng = np.random.default_rng(0)
    weights = {name: rng.normal(size=shape).astype(np.float32) for name, shape in A.param_shapes(arch).items()}
    meta = {"format": FORMAT, "version": VERSION, "engine": "keras", "kind": "KerasNetClassifier",
            "params": {"architecture": arch, "classes": [0, 1, 2]}, "info": {"input_shape": [3, 3]}}
    np.savez(tmp_path / "k.npz", **{META_KEY: np.array(json.dumps(meta))}, **weights)
    X = rng.random((4, 9), dtype=np.float32)
    np.save(tmp_path / "X.npy", X)
    done = run_python(
        "import numpy as np\nfrom digitlab.models import load_model\n"
        f"model, info = load_model(r'{tmp_path / 'k.npz'}')\n"
        f"np.save(r'{tmp_path / 'p.npy'}', model.predict_proba(np.load(r'{tmp_path / 'X.npy'}')))\n"
        "print(type(model).__module__)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["digitlab.nn.estimators"]
    hidden = np.maximum(X @ weights["1.weight"] + weights["1.bias"], 0)
    logits = hidden @ weights["3.weight"] + weights["3.bias"]
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), expected / expected.sum(axis=1, keepdims=True), atol=1e-6)


def test_importing_digitlab_and_the_engine_module_does_not_import_keras():
    code = ("import sys, digitlab, digitlab.cli, digitlab.models.keras_models, digitlab.evaluate.kaggle, "
            "digitlab.models.npydir; print('keras' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.strip() == "False", done.stderr
