"""Bad files of every format digitlab reads: one line on stderr naming the problem, exit 2, never a traceback.

Each table row builds one damaged file in an empty folder and names the command that reads it and a
phrase the error line must hold. The formats: IDX (raw and .gz), Kaggle CSV, .npz datasets, model
.npz files, architecture .json files, images, image folders (class sub-folders and labels.csv) and
torch checkpoints. A model that loads must also give sane answers, so NaN weights or weights of the
wrong dtype are refused when loaded rather than answering 10% or "nan". The CLI runs in this process
(`cli_error` in conftest.py), so the whole corpus takes seconds.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from digitlab.errors import DigitlabError

RNG = np.random.default_rng(0)


# -- IDX: a folder of the four files with one of them damaged ------------------------------------------

def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    return bytes([0, 0, type_code, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape) + \
        array.tobytes()


def idx_folder(tmp: Path, gz: bool = True, damage=None) -> Path:
    """train/t10k images and labels of 20 and 8 6x6 digits; `damage[role] = bytes` replaces one file's bytes."""
    damage = damage or {}
    arrays = {"train-images-idx3-ubyte": RNG.integers(0, 256, (20, 6, 6), dtype=np.uint8),
              "train-labels-idx1-ubyte": (np.arange(20) % 10).astype(np.uint8),
              "t10k-images-idx3-ubyte": RNG.integers(0, 256, (8, 6, 6), dtype=np.uint8),
              "t10k-labels-idx1-ubyte": (np.arange(8) % 10).astype(np.uint8)}
    folder = tmp / "idx"
    folder.mkdir()
    for name, array in arrays.items():
        body = damage.get(name.split("-")[0] + "_" + name.split("-")[1], idx_bytes(array))
        (folder / (name + ".gz" if gz else name)).write_bytes(gzip.compress(body) if gz else body)
    return folder


IMAGES = RNG.integers(0, 256, (20, 6, 6), dtype=np.uint8)
IDX_CASES = {
    "empty file": ({"train_images": b""}, "IDX"),
    "bad magic": ({"train_images": b"\x01\x02" + idx_bytes(IMAGES)[2:]}, "IDX"),
    "float type code": ({"train_images": idx_bytes(IMAGES.astype(">f4"), 0x0D)}, "unsigned bytes"),
    "truncated data": ({"train_images": idx_bytes(IMAGES)[:-7]}, "IDX"),
    "extra data": ({"train_images": idx_bytes(IMAGES) + b"\x00" * 9}, "IDX"),
    "huge claimed dims": ({"train_images": bytes([0, 0, 8, 3]) + (10**9).to_bytes(4, "big") * 3}, "IDX"),
    "zero images": ({"train_images": idx_bytes(np.zeros((0, 6, 6), np.uint8))}, "zero"),
    "labels as images": ({"train_images": idx_bytes(np.zeros(20, np.uint8))}, "IDX"),
    "images as labels": ({"train_labels": idx_bytes(IMAGES)}, "IDX"),
    "label 10": ({"train_labels": idx_bytes(np.full(20, 10, np.uint8))}, "label"),
    "label count mismatch": ({"train_labels": idx_bytes(np.zeros(19, np.uint8))}, "19"),
    "test size differs": ({"t10k_images": idx_bytes(np.zeros((8, 5, 5), np.uint8))}, "5"),
    "header only": ({"t10k_labels": bytes([0, 0, 8, 1])}, "IDX"),
}


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
@pytest.mark.parametrize("case", list(IDX_CASES))
def test_bad_idx_files(case, gz, tmp_path, cli_error):
    damage, phrase = IDX_CASES[case]
    line = cli_error(["data", "info", idx_folder(tmp_path, gz=gz, damage=damage)])
    assert phrase.lower() in line.lower()


@pytest.mark.parametrize("body, phrase", [
    (b"\x1f\x8b\x08\x00garbage", "gzip"),
    (gzip.compress(idx_bytes(IMAGES))[:-12], "gzip"),
    (b"\x1f\x8b", "gzip"),
], ids=["garbage after gzip magic", "truncated gzip", "gzip magic only"])
def test_bad_gzip_idx(body, phrase, tmp_path, cli_error):
    folder = idx_folder(tmp_path)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(body)
    assert phrase in cli_error(["data", "info", folder]).lower()


# -- Kaggle CSV --------------------------------------------------------------------------------------

HEADER = "label," + ",".join(f"pixel{i}" for i in range(16))


def csv_rows(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


GOOD_ROW = "3," + ",".join(["0"] * 16)
CSV_CASES = {
    "empty": ("", "empty file"),
    "blank lines only": ("\n\n\n", "empty file"),
    "header only": (HEADER + "\n", "no data rows"),
    "no pixel columns": (csv_rows("3", header="label"), "pixel"),
    "not a header": (csv_rows(GOOD_ROW, header="a,b,c"), "header"),
    "non-square pixel count": (csv_rows("3," + ",".join(["0"] * 15),
                                        header="label," + ",".join(f"pixel{i}" for i in range(15))), "square"),
    "short row": (csv_rows(GOOD_ROW, "3,0,0"), "line 3"),
    "long row": (csv_rows(GOOD_ROW + ",0"), "line 2"),
    "text pixel": (csv_rows(GOOD_ROW[:-1] + "x"), "line 2"),
    "pixel 256": (csv_rows(GOOD_ROW[:-1] + "256"), "pixel value"),
    "pixel -1": (csv_rows(GOOD_ROW[:-1] + "-1"), "pixel value"),
    "pixel 1.5": (csv_rows(GOOD_ROW[:-1] + "1.5"), "line 2"),
    "pixel nan": (csv_rows(GOOD_ROW[:-1] + "nan"), "line 2"),
    "empty pixel": (csv_rows(GOOD_ROW[:-1] + ""), "line 2"),
    "label 10": (csv_rows("10" + GOOD_ROW[1:]), "label"),
    "label -1": (csv_rows("-1" + GOOD_ROW[1:]), "label"),
    "label 3.5": (csv_rows("3.5" + GOOD_ROW[1:]), "line 2"),
    "label word": (csv_rows("three" + GOOD_ROW[1:]), "line 2"),
    "semicolons": (csv_rows(GOOD_ROW.replace(",", ";"), header=HEADER.replace(",", ";")), "header"),
    "huge number": (csv_rows(GOOD_ROW[:-1] + "9" * 40), "line 2"),
}


def write_csv(path: Path, text) -> Path:
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_bad_kaggle_csv(case, tmp_path, cli_error):
    text, phrase = CSV_CASES[case]
    line = cli_error(["data", "info", write_csv(tmp_path / "train.csv", text)])
    assert phrase in line


@pytest.mark.parametrize("body, phrase", [
    (b"\x00\x01\x02\xff\xfe binary", "train.csv"),
    (csv_rows(GOOD_ROW).encode("utf-16"), "train.csv"),
    (b"\xff" * 100, "train.csv"),
], ids=["binary", "utf-16", "not utf-8"])
def test_csv_that_is_not_text(body, phrase, tmp_path, cli_error):
    assert phrase in cli_error(["data", "info", write_csv(tmp_path / "train.csv", body)])


def test_kaggle_one_row_train_file_with_knn(tmp_path, cli_error):
    """Issue 18: k-NN on a one-row train.csv crashed in scikit-learn (n_neighbors > n_samples)."""
    train = write_csv(tmp_path / "train.csv", csv_rows(GOOD_ROW))
    test = write_csv(tmp_path / "test.csv", csv_rows(",".join(["0"] * 16), header=HEADER[6:]))
    line = cli_error(["kaggle", "--train", train, "--test", test, "--model", "knn", "-o", tmp_path / "s.csv"])
    assert "one class" in line and not (tmp_path / "s.csv").exists()
    two = write_csv(tmp_path / "two.csv", csv_rows(GOOD_ROW, "4" + GOOD_ROW[1:]))
    line = cli_error(["kaggle", "--train", two, "--test", test, "--model", "knn", "-o", tmp_path / "s.csv"])
    assert "n_neighbors=" in line


# -- .npz datasets -----------------------------------------------------------------------------------

def npz(path: Path, **arrays) -> Path:
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def npy_member(header_shape, descr="|u1", data=b"") -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": False, "shape": header_shape})
    return out.getvalue() + data


def zip_of(path: Path, members: dict) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return path


IMGS, LABELS = RNG.integers(0, 256, (30, 8, 8), dtype=np.uint8), np.arange(30) % 10
NPZ_CASES = {
    "not a zip": (lambda p: write_csv(p, b"hello"), "not an .npz"),
    "empty file": (lambda p: write_csv(p, b""), "not an .npz"),
    "zip magic then garbage": (lambda p: write_csv(p, b"PK\x03\x04garbage"), "npz"),
    "members not .npy": (lambda p: zip_of(p, {"images": b"hello", "labels": b"\x00"}), "not an .npy array"),
    "text member named .npy": (lambda p: zip_of(p, {"images.npy": b"hello world", "labels.npy": b"x"}),
                               "not an .npy array"),
    "header claims a huge shape": (lambda p: zip_of(p, {"images.npy": npy_member((10**6, 10**6), "<f8"),
                                                        "labels.npy": npy_member((3,))}), "but the file holds"),
    "header claims more rows": (lambda p: zip_of(p, {"images.npy": npy_member((99, 8, 8), data=b"\0" * 64),
                                                     "labels.npy": npy_member((1,), data=b"\0")}),
                                "but the file holds"),
    "pickled objects": (lambda p: zip_of(p, {"images.npy": npy_member((1,), "|O", b"\x80\x04N."),
                                             "labels.npy": npy_member((1,), data=b"\0")}), "Python objects"),
    "no labels": (lambda p: npz(p, images=IMGS), "needs arrays 'images' and 'labels'"),
    "wrong names": (lambda p: npz(p, x=IMGS, y=LABELS), "needs arrays"),
    "label count mismatch": (lambda p: npz(p, images=IMGS, labels=LABELS[:-1]), "to match the images"),
    "labels out of range": (lambda p: npz(p, images=IMGS, labels=LABELS + 5), "digits 0-9"),
    "negative labels": (lambda p: npz(p, images=IMGS, labels=LABELS - 3), "digits 0-9"),
    "fractional labels": (lambda p: npz(p, images=IMGS, labels=LABELS + 0.5), "whole numbers"),
    "string labels": (lambda p: npz(p, images=IMGS, labels=LABELS.astype(str)), "labels"),
    "float images above 1": (lambda p: npz(p, images=IMGS.astype(np.float32), labels=LABELS), "[0, 1]"),
    "NaN images": (lambda p: npz(p, images=np.full((30, 8, 8), np.nan, np.float32), labels=LABELS), "[0, 1]"),
    "int images above 255": (lambda p: npz(p, images=IMGS.astype(np.int32) * 3, labels=LABELS), "0-255"),
    "complex images": (lambda p: npz(p, images=IMGS.astype(complex), labels=LABELS), "complex"),
    "bool images": (lambda p: npz(p, images=IMGS > 128, labels=LABELS), "bool"),
    "1-D images": (lambda p: npz(p, images=IMGS.reshape(-1), labels=LABELS), "shape"),
    "non-square flat images": (lambda p: npz(p, images=IMGS.reshape(30, 64)[:, :63], labels=LABELS), "shape"),
    "zero images": (lambda p: npz(p, images=np.zeros((0, 8, 8), np.uint8), labels=np.zeros(0, int)), "shape"),
    "test images without labels": (lambda p: npz(p, images=IMGS, labels=LABELS, test_images=IMGS),
                                   "test_labels"),
    "test images of another size": (lambda p: npz(p, images=IMGS, labels=LABELS, test_images=IMGS[:, :4, :4],
                                                  test_labels=LABELS), "test_images"),
}


@pytest.mark.parametrize("case", list(NPZ_CASES))
def test_bad_npz_dataset(case, tmp_path, cli_error):
    build, phrase = NPZ_CASES[case]
    line = cli_error(["data", "info", build(tmp_path / "data.npz")])
    assert phrase in line


# -- model files --------------------------------------------------------------------------------------

def model_parts(path: Path) -> tuple[dict, dict]:
    with np.load(path) as z:
        arrays = {name: z[name] for name in z.files}
    return json.loads(str(arrays.pop("__meta__"))), arrays


def remodel(path: Path, meta, arrays: dict, raw_meta: str | None = None) -> Path:
    text = raw_meta if raw_meta is not None else json.dumps(meta)
    return npz(path, __meta__=np.array(text), **arrays)


def weights_with(arrays: dict, change) -> dict:
    name = min(n for n in arrays if arrays[n].ndim == 2)
    return {**arrays, name: change(arrays[name])}


def nan_at_first(w):
    w = w.copy()
    w.flat[0] = np.nan
    return w


MODEL_CASES = {
    "metadata a list": (lambda m, a: (m, a, "[1, 2]"), "JSON list, not an object"),
    "metadata a string": (lambda m, a: (m, a, '"model"'), "JSON str, not an object"),
    "metadata a number": (lambda m, a: (m, a, "3"), "not an object"),
    "metadata null": (lambda m, a: (m, a, "null"), "not an object"),
    "metadata not JSON": (lambda m, a: (m, a, "{not json"), "not valid JSON"),
    "metadata nested too deep": (lambda m, a: (m, a, "[" * 100_000 + "]" * 100_000), "nested too deeply"),
    "metadata empty object": (lambda m, a: ({}, a, None), "format None"),
    "another format": (lambda m, a: ({**m, "format": "keras"}, a, None), "format 'keras'"),
    "another version": (lambda m, a: ({**m, "version": 99}, a, None), "not a digitlab model file"),
    "no info": (lambda m, a: ({k: v for k, v in m.items() if k != "info"}, a, None), "'info'"),
    "info a list": (lambda m, a: ({**m, "info": [1]}, a, None), "'info'"),
    "info input_shape a string": (lambda m, a: ({**m, "info": {"input_shape": "8x8"}}, a, None), "input_shape"),
    "info input_shape negative": (lambda m, a: ({**m, "info": {"input_shape": [-8, 8]}}, a, None), "input_shape"),
    "info classes a string": (lambda m, a: ({**m, "info": {"classes": "0123"}}, a, None), "classes"),
    "params a list": (lambda m, a: ({**m, "params": []}, a, None), "'params'"),
    "no engine": (lambda m, a: ({k: v for k, v in m.items() if k != "engine"}, a, None), "'engine'"),
    "unknown engine": (lambda m, a: ({**m, "engine": "tensorflow"}, a, None), "tensorflow"),
    "unknown kind": (lambda m, a: ({**m, "kind": "os.system"}, a, None), "os.system"),
    "unknown parameter": (lambda m, a: ({**m, "params": {**m["params"], "evil": 1}}, a, None), "damaged"),
    "NaN weight": (lambda m, a: (m, weights_with(a, nan_at_first), None), "NaN or infinite"),
    "infinite weights": (lambda m, a: (m, weights_with(a, lambda w: np.full_like(w, np.inf)), None),
                         "NaN or infinite"),
    "int8 weights": (lambda m, a: (m, weights_with(a, lambda w: w.astype(np.int8)), None), "int8"),
    "float64 weights": (lambda m, a: (m, weights_with(a, lambda w: w.astype(np.float64)), None), "float64"),
    "float16 weights": (lambda m, a: (m, weights_with(a, lambda w: w.astype(np.float16)), None), "float16"),
    "complex weights": (lambda m, a: (m, weights_with(a, lambda w: w.astype(complex)), None), "complex"),
    "string weights": (lambda m, a: (m, weights_with(a, lambda w: w.astype(str)), None), "not numbers"),
    "transposed weights": (lambda m, a: (m, weights_with(a, lambda w: np.ascontiguousarray(w.T)), None),
                           "shape"),
    "a weight missing": (lambda m, a: (m, dict(list(a.items())[1:]), None), "damaged"),
    "an extra array": (lambda m, a: (m, {**a, "extra": np.zeros(3, np.float32)}, None), "extra"),
    "no arrays": (lambda m, a: (m, {}, None), "damaged"),
}


@pytest.fixture
def bad_model(tmp_path, tiny_model_file):
    def build(case) -> Path:
        meta, arrays = model_parts(tiny_model_file)
        meta, arrays, raw = MODEL_CASES[case][0](meta, arrays)
        return remodel(tmp_path / "model.npz", meta, arrays, raw)
    return build


@pytest.mark.parametrize("case", list(MODEL_CASES))
def test_bad_model_file_evaluate(case, bad_model, cli_error):
    assert MODEL_CASES[case][1] in cli_error(["evaluate", bad_model(case)])


@pytest.mark.parametrize("case", ["metadata a list", "metadata a string", "no info", "NaN weight", "int8 weights"])
def test_bad_model_file_predict(case, bad_model, digit_png, cli_error):
    assert MODEL_CASES[case][1] in cli_error(["predict", "--model", bad_model(case), digit_png])


@pytest.mark.parametrize("body, phrase", [
    (b"", "not an .npz"),
    (b"hello, world\n", "not an .npz"),
    (b"PK\x03\x04" + b"\0" * 40, "npz"),
], ids=["empty", "text", "broken zip"])
def test_model_file_that_is_not_an_npz(body, phrase, tmp_path, cli_error):
    """A text file no longer gets numpy's advice to unpickle it."""
    line = cli_error(["evaluate", write_csv(tmp_path / "model.npz", body)])
    assert phrase in line and "pickle" not in line


def test_dataset_npz_is_not_a_model(tmp_path, cli_error):
    assert "no __meta__" in cli_error(["evaluate", npz(tmp_path / "data.npz", images=IMGS, labels=LABELS)])


def test_pickled_sklearn_model_needs_trust(tmp_path, cli_error):
    from sklearn.svm import SVC

    from digitlab.data import load_dataset, to_features
    from digitlab.models import save_model

    data = load_dataset("digits")
    path = save_model(SVC().fit(to_features(data.train.images[:200]), data.train.labels[:200]),
                      tmp_path / "svm.npz", info={"input_shape": [8, 8]})
    assert "--trust" in cli_error(["evaluate", path])


def test_a_loaded_model_answers_the_same_after_the_checks(tiny_model_file, digits):
    """The checks refuse damaged files only: a good file still loads and predicts as saved."""
    from digitlab.models import load_model

    model, info = load_model(tiny_model_file)
    assert info["input_shape"] == [8, 8]
    assert model.score(digits[2], digits[3]) > 0.9


# -- learners' weights folders ------------------------------------------------------------------------

@pytest.mark.parametrize("write, phrase", [
    (lambda f: (f / "W1.npy").write_bytes(b"garbage"), "not an .npy array"),
    (lambda f: (f / "W1.npy").write_bytes(npy_member((10**5, 10**5), "<f4")), "but the file holds"),
    (lambda f: np.save(f / "W1.npy", np.full((10, 64), np.inf)), "finite"),
    (lambda f: (f / "model.json").write_text("[" * 100_000), "nested too deeply"),
    (lambda f: (f / "model.json").write_text("[1, 2]"), "weights description"),
], ids=["garbage W1", "huge W1 header", "infinite W1", "deep model.json", "model.json a list"])
def test_bad_weights_folder(write, phrase, tmp_path, cli_error):
    folder = tmp_path / "model"
    folder.mkdir()
    for name, shape in {"W1": (10, 64), "b1": (10, 1), "W2": (10, 10), "b2": (10, 1)}.items():
        np.save(folder / f"{name}.npy", RNG.normal(size=shape).astype(np.float32))
    write(folder)
    assert phrase in cli_error(["evaluate", folder])


# -- architecture .json files -------------------------------------------------------------------------

def net(input_shape, *layers) -> str:
    return json.dumps({"input_shape": input_shape, "layers": [{"type": "flatten"}, *layers]})


ARCH_CASES = {
    "not JSON": ("{layers", "not valid JSON"),
    "nested too deeply": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "a list": ("[1, 2, 3]", "input_shape"),
    "no layers": ('{"input_shape": [8, 8]}', "layers"),
    "unknown layer": ('{"input_shape": [1, 8, 8], "layers": [{"type": "quantum"}]}', "quantum"),
    "output does not fit the classes": (net([1, 8, 8], {"type": "dense", "units": 3}), "classes"),
    "input does not fit the images": (net([1, 28, 28], {"type": "dense", "units": 10}), "28"),
    "negative units": (net([1, 8, 8], {"type": "dense", "units": -10}), "units"),
    "fractional units": (net([1, 8, 8], {"type": "dense", "units": 2.5}), "units"),
    "dropout rate 1.5": (net([1, 8, 8], {"type": "dropout", "rate": 1.5}, {"type": "dense", "units": 10}),
                         "rate"),
    "kernel size 0": (json.dumps({"input_shape": [1, 8, 8], "layers": [
        {"type": "conv2d", "filters": 4, "kernel_size": 0}]}), "kernel_size"),
    "input_shape a string": (json.dumps({"input_shape": "8x8", "layers": []}), "input_shape"),
    "layers an object": (json.dumps({"input_shape": [1, 8, 8], "layers": {"type": "flatten"}}), "layers"),
    "not UTF-8": (b"\xff\xfe{\x00}\x00", "UTF-8"),
    "empty": ("", "not valid JSON"),
}


@pytest.mark.parametrize("case", list(ARCH_CASES))
def test_bad_architecture_file(case, tmp_path, cli_error):
    text, phrase = ARCH_CASES[case]
    path = tmp_path / "net.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    line = cli_error(["train", "--model", path, "--epochs", "1", "--runs-dir", tmp_path / "runs"])
    assert phrase in line and not (tmp_path / "runs").exists()


# -- images -------------------------------------------------------------------------------------------

def png_bytes(array) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


GOOD_PNG = png_bytes(np.full((20, 20), 255, np.uint8))
IMAGE_CASES = {
    "empty": (b"", "not an image"),
    "text": (b"hello", "not an image"),
    "truncated png": (GOOD_PNG[: len(GOOD_PNG) // 2], "image"),
    "png signature only": (GOOD_PNG[:8], "image"),
    "jpeg header only": (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
    "html": (b"<html><body>404</body></html>", "not an image"),
    "decompression bomb": (None, "pixels"),
}


def bomb(path: Path) -> Path:
    """A PNG that declares 30,000 x 30,000 grey pixels (900 million) in 70 bytes (its data never comes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    ihdr = (30_000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("command", ["read", "inspect", "predict"])
@pytest.mark.parametrize("case", list(IMAGE_CASES))
def test_bad_image(case, command, tmp_path, tiny_model_file, cli_error):
    body, phrase = IMAGE_CASES[case]
    path = bomb(tmp_path / "x.png") if body is None else write_csv(tmp_path / "x.png", body)
    extra = ["-o", tmp_path / "stages.png"] if command == "inspect" else []
    line = cli_error([command, path, "--model", tiny_model_file, *extra])
    assert phrase in line and not (tmp_path / "stages.png").exists()


# -- image folders and labels.csv ---------------------------------------------------------------------

def picture(path: Path, value: int = 200) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8), value, np.uint8)).save(path)


FOLDER_CASES = {
    "empty": (lambda f: None, "no"),
    "sub-folder not a digit": (lambda f: picture(f / "x" / "a.png"), "class folders must be named 0-9"),
    "one class only": (lambda f: [picture(f / "3" / f"{i}.png") for i in range(12)], "one class"),
    "a broken picture": (lambda f: ([picture(f / d / f"{i}.png") for d in "01" for i in range(6)],
                                    (f / "0" / "bad.png").write_bytes(b"nope")), "bad.png"),
    "sub-folders without pictures": (lambda f: [(f / d).mkdir() for d in "0123"], "no"),
}


@pytest.mark.parametrize("case", list(FOLDER_CASES))
def test_bad_image_folder(case, tmp_path, cli_error):
    folder = tmp_path / "pictures"
    folder.mkdir()
    build, phrase = FOLDER_CASES[case]
    build(folder)
    line = cli_error(["train", "--dataset", folder, "--runs-dir", tmp_path / "runs"])
    assert phrase in line


LABELS_CSV_CASES = {
    "empty": (b"", "file,label"),
    "no header": (b"a.png,3\n", "file,label"),
    "label 10": (b"file,label\na.png,10\n", "line 2"),
    "label word": (b"file,label\na.png,three\n", "line 2"),
    "missing label cell": (b"file,label\na.png\n", "line 2"),
    "missing file cell": (b"file,label\n,3\n", "line 2"),
    "binary": (b"\x00\xff\xfe\x00garbage", "labels.csv"),
    "utf-16": ("file,label\na.png,3\n".encode("utf-16"), "labels.csv"),
}


@pytest.mark.parametrize("case", list(LABELS_CSV_CASES))
def test_bad_labels_csv(case, tmp_path):
    from digitlab.data.labelled import labelled_files

    body, phrase = LABELS_CSV_CASES[case]
    picture(tmp_path / "a.png")
    (tmp_path / "labels.csv").write_bytes(body)
    with pytest.raises(DigitlabError) as error:
        labelled_files(tmp_path)
    assert phrase in str(error.value) and "\n" not in str(error.value)


# -- torch checkpoints --------------------------------------------------------------------------------

@pytest.mark.parametrize("body, phrase", [
    (b"", "not a digitlab torch checkpoint"),
    (b"hello", "not a digitlab torch checkpoint"),
    (b"PK\x03\x04" + b"\0" * 30, "not a digitlab torch checkpoint"),
    (b"\x80\x02cos\nsystem\nq\x00.", "not a digitlab torch checkpoint"),
], ids=["empty", "text", "broken zip", "pickle naming os.system"])
def test_bad_checkpoint(body, phrase, tmp_path):
    pytest.importorskip("torch")
    from digitlab.torch_engine.checkpoint import load_checkpoint

    path = write_csv(tmp_path / "ckpt.pt", body)
    with pytest.raises(DigitlabError) as error:
        load_checkpoint(path)
    assert phrase in str(error.value) and "\n" not in str(error.value)


# -- hypothesis: any bytes, in the places a header is expected ----------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(header=st.dictionaries(st.sampled_from(["descr", "fortran_order", "shape", "x"]),
                              st.one_of(st.sampled_from(["|u1", "<f4", "|O", "<U3", "bogus"]), st.booleans(),
                                        st.lists(st.integers(-3, 10**7), max_size=4).map(tuple)), max_size=4),
       data=st.binary(max_size=64))
def test_any_npy_header_is_read_or_refused_in_one_line(tmp_path, header, data):
    """A member's .npy header with any keys, types, shapes (huge, negative) and any data after it."""
    from digitlab.data.arrayfile import read_npz

    text = repr(header).encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    member = b"\x93NUMPY\x01\x00" + (len(text) + pad + 1).to_bytes(2, "little") + text + b" " * pad + b"\n" + data
    path = zip_of(tmp_path / "fuzz.npz", {"images.npy": member})
    try:
        arrays = read_npz(path)
    except DigitlabError as exc:
        assert "\n" not in str(exc)
        return
    array = arrays["images"]  # accepted: then it is exactly the bytes that were there
    assert array.nbytes == len(data) and not array.dtype.hasobject


@pytest.mark.parametrize("descr", ["()", "(('a',),)", "[1]"])
def test_an_npy_header_with_an_odd_descr_is_refused_in_one_line(tmp_path, descr):
    """Regression (found by the fuzz test above): 'descr': () made numpy raise IndexError."""
    from digitlab.data.arrayfile import read_npz

    text = ("{'descr': " + descr + ", 'fortran_order': False, 'shape': (1,), }").encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    member = b"\x93NUMPY\x01\x00" + (len(text) + pad + 1).to_bytes(2, "little") + text + b" " * pad + b"\n" + b"x"
    with pytest.raises(DigitlabError) as error:
        read_npz(zip_of(tmp_path / "odd.npz", {"images.npy": member}))
    assert "not an .npy array" in str(error.value) and "\n" not in str(error.value)


@FUZZ
@given(text=st.text(alphabet="0123456789,-.e \nlabelpix", max_size=300))
def test_any_csv_text_is_read_or_refused_in_one_line(tmp_path, text):
    from digitlab.data.csvfile import read_kaggle_csv

    path = write_csv(tmp_path / "fuzz.csv", text)
    try:
        split = read_kaggle_csv(path)
    except DigitlabError as exc:
        assert "\n" not in str(exc)
        return
    assert split.images.dtype == np.uint8 and len(split.images) >= 1
