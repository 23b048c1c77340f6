"""The learners' weights folder (W1.npy, b1.npy, ...): read against a hand-written forward pass
in the learners' own layout (examples as columns), written and read back exactly, and refused
with one clear line when it is malformed."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from digitlab.cli import main
from digitlab.data import load_dataset, to_features
from digitlab.errors import DigitlabError
from digitlab.models import load_model, make_model
from digitlab.models.npydir import load_npy_dir, save_npy_dir


def learners_forward(folder, X):
    """The learners' network as they write it: Z1 = W1 X + b1, A1 = relu(Z1), A2 = softmax(W2 A1 + b2)."""
    W1, b1, W2, b2 = (np.load(folder / f"{name}.npy").astype(np.float64) for name in ("W1", "b1", "W2", "b2"))
    A1 = np.maximum(W1 @ X.T + b1.reshape(-1, 1), 0)  # (10, m)
    Z2 = W2 @ A1 + b2.reshape(-1, 1)  # (10, m)
    E = np.exp(Z2 - Z2.max(axis=0))
    return (E / E.sum(axis=0)).T  # (m, 10)


def write_learners_folder(folder, rng, n_in=784, bias_shape=lambda n: (n, 1)):
    folder.mkdir()
    shapes = {"W1": (10, n_in), "b1": bias_shape(10), "W2": (10, 10), "b2": bias_shape(10)}
    for name, shape in shapes.items():
        scale = 0.1 if name == "W1" else 0.5
        np.save(folder / f"{name}.npy", rng.normal(0, scale, size=shape))  # float64, as learners' numpy makes it
    return folder


@pytest.mark.parametrize("bias_shape", [lambda n: (n, 1), lambda n: (n,)], ids=["column-bias", "flat-bias"])
def test_learners_folder_matches_their_forward_pass(tmp_path, bias_shape):
    rng = np.random.default_rng(0)
    folder = write_learners_folder(tmp_path / "model", rng, bias_shape=bias_shape)
    X = rng.random((50, 784), dtype=np.float32)
    model, info = load_model(folder)
    np.testing.assert_allclose(model.predict_proba(X), learners_forward(folder, X), atol=1e-6)
    assert info["input_shape"] == [28, 28] and info["classes"] == list(range(10))
    assert [layer["type"] for layer in model.architecture_["layers"]] == \
        ["flatten", "dense", "relu", "dense", "softmax"]


@pytest.fixture(scope="module")
def two_layer():
    """The learners' 784-10-10 preset, briefly trained on the 8x8 digits (64 inputs)."""
    data = load_dataset("digits")
    model = make_model("seed-two-layer", max_iter=30, random_state=0)
    return model.fit(to_features(data.train.images), data.train.labels), to_features(data.test.images)


def test_save_writes_the_learners_shapes_and_reads_back_exactly(two_layer, tmp_path):
    model, X = two_layer
    folder = save_npy_dir(model, tmp_path / "model", info={"note": "x"})
    assert sorted(p.name for p in folder.iterdir()) == ["W1.npy", "W2.npy", "b1.npy", "b2.npy", "model.json"]
    shapes = {p.stem: np.load(p).shape for p in folder.glob("*.npy")}
    assert shapes == {"W1": (10, 64), "b1": (10, 1), "W2": (10, 10), "b2": (10, 1)}
    np.testing.assert_array_equal(np.load(folder / "W1.npy"), model.get_weights()["1.weight"].T)
    loaded, info = load_npy_dir(folder)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_allclose(model.predict_proba(X), learners_forward(folder, X), atol=1e-5)
    assert info["note"] == "x" and info["input_shape"] == [8, 8]


def test_model_json_keeps_what_w_and_b_cannot_say(tmp_path):
    """A sigmoid network with string classes comes back as itself; stale W3/b3 are removed."""
    data = load_dataset("digits")
    X, y = to_features(data.train.images[:200]), data.train.labels[:200]
    deep = make_model("mlp", hidden_layer_sizes=(16, 12), max_iter=1, random_state=0).fit(X, y)
    sigmoid = make_model("mlp", hidden_layer_sizes=(16,), activation="sigmoid", max_iter=2,
                         random_state=0).fit(X, np.array(list("abcdefghij"))[y])
    folder = save_npy_dir(deep, tmp_path / "m")
    assert (folder / "W3.npy").exists()
    save_npy_dir(sigmoid, folder)
    assert not (folder / "W3.npy").exists() and not (folder / "b3.npy").exists()
    loaded, _ = load_npy_dir(folder)
    np.testing.assert_array_equal(loaded.predict_proba(X), sigmoid.predict_proba(X))
    assert list(loaded.predict(X[:5])) == list(sigmoid.predict(X[:5]))


def test_cli_evaluate_takes_a_weights_folder(tmp_path, capsys):
    """`digitlab evaluate model/` scores exactly what the learners' forward pass predicts."""
    rng = np.random.default_rng(1)
    folder = write_learners_folder(tmp_path / "model", rng, n_in=64)
    data = load_dataset("digits")
    assert main(["evaluate", str(folder), "--dataset", "digits", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    expected = np.mean(learners_forward(folder, to_features(data.test.images)).argmax(axis=1) == data.test.labels)
    assert result["accuracy"] == pytest.approx(expected) and result["n"] == len(data.test.labels)


def test_cli_predict_takes_a_weights_folder(tmp_path, capsys):
    from PIL import Image

    folder = write_learners_folder(tmp_path / "model", np.random.default_rng(2))
    image = np.zeros((28, 28), np.uint8)
    image[6:22, 12:16] = 255  # a "1"
    Image.fromarray(image).save(tmp_path / "one.png")
    assert main(["predict", str(tmp_path / "one.png"), "--model", str(folder), "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    from digitlab.read.reader import Reader

    seen = Reader.load(str(folder), calibration=False).prepare(tmp_path / "one.png").input  # the 28x28 it saw
    expected = learners_forward(folder, to_features(seen[None]))[0]
    np.testing.assert_allclose(row["probabilities"], expected, atol=1e-5)
    assert row["digit"] == int(expected.argmax())


def bad(folder, name, array):
    np.save(folder / f"{name}.npy", array, allow_pickle=True)


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "b2.npy").unlink(), "expected W1.npy, b1.npy"),
    (lambda f: bad(f, "W2", np.zeros((10, 9))), "W2 takes 9 inputs but W1 gives 10"),
    (lambda f: bad(f, "b1", np.zeros((7, 1))), "b1"),
    (lambda f: bad(f, "W1", np.array([{"x": 1}], dtype=object)), "holds Python objects"),
    (lambda f: bad(f, "W2", np.full((10, 10), np.nan)), "finite numbers"),
    (lambda f: (f / "b1.npy").write_bytes(b"not numpy"), "not an .npy array"),
])
def test_damaged_folders_are_one_line_errors(tmp_path, damage, message):
    folder = write_learners_folder(tmp_path / "model", np.random.default_rng(3))
    damage(folder)
    with pytest.raises(DigitlabError, match=message) as error:
        load_model(folder)
    assert "\n" not in str(error.value)


def test_cli_reports_a_damaged_folder_in_one_line(tmp_path, capsys):
    folder = write_learners_folder(tmp_path / "model", np.random.default_rng(4), n_in=783)
    assert main(["evaluate", str(folder), "--dataset", "digits"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "783 inputs, not a square image" in err


def test_only_dense_networks_are_saved_as_weights_folders(tmp_path):
    from digitlab.nn import architecture as A
    from digitlab.nn.estimators import from_weights

    arch = A.cnn((2,), 4, (1, 8, 8), 10)
    weights = {name: np.zeros(shape, np.float32) for name, shape in A.param_shapes(arch).items()}
    with pytest.raises(DigitlabError, match="only dense networks"):
        save_npy_dir(from_weights(arch, weights, np.arange(10)), tmp_path / "cnn")
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.npz").write_bytes(b"")
    dense = from_weights(A.mlp((3,), input_shape=(1, 2, 2), n_classes=2),
                         {"1.weight": np.ones((4, 3), np.float32), "1.bias": np.zeros(3, np.float32),
                          "3.weight": np.ones((3, 2), np.float32), "3.bias": np.zeros(2, np.float32)}, [0, 1])
    with pytest.raises(DigitlabError, match="model.npz"):
        save_npy_dir(dense, run)
    shutil.rmtree(run)
