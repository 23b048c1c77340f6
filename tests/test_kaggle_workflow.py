"""`digitlab kaggle`: train.csv + test.csv -> submission.csv, checked end to end.

The oracle is the labels the test keeps back: a submission must score exactly
what the model scores on the same images, and a file with a BOM, Windows line
endings or blank lines must give the same submission as a clean one.
"""

from __future__ import annotations

import numpy as np
import pytest

from digitlab.cli import main
from digitlab.data import load_dataset
from digitlab.errors import DigitlabError
from digitlab.evaluate.kaggle import check_submission, submission_text
from digitlab.models import load_model


def write_csv(path, images, labels=None, *, bom=False, newline="\n", blank_lines=False, n_pixels=None):
    """A Kaggle-style CSV: label,pixel0..pixel783 (or no label column when labels is None)."""
    pixels = images.reshape(len(images), -1)[:, :n_pixels]
    header = (["label"] if labels is not None else []) + [f"pixel{i}" for i in range(pixels.shape[1])]
    rows = [",".join(header)]
    for i, row in enumerate(pixels):
        rows.append(",".join(([str(labels[i])] if labels is not None else []) + [str(v) for v in row]))
        if blank_lines and i % 7 == 0:
            rows.append("")
    text = newline.join(rows) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def upscaled_digits():
    """scikit-learn's 8x8 digits blown up to Kaggle's 28x28 (3x3 blocks, 2 px border): no download."""
    data = load_dataset("digits")
    images = np.concatenate([data.train.images, data.test.images])
    labels = np.concatenate([data.train.labels, data.test.labels])
    big = np.kron(images, np.ones((1, 3, 3), np.uint8))  # (n, 24, 24)
    return np.pad(big, ((0, 0), (2, 2), (2, 2))), labels


@pytest.fixture(scope="module")
def kaggle_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kaggle")
    images, labels = upscaled_digits()
    write_csv(folder / "train.csv", images[:1200], labels[:1200])
    write_csv(folder / "test.csv", images[1200:])
    return folder, images[1200:], labels[1200:]


def read_submission(path):
    lines = path.read_text().splitlines()
    assert lines[0] == "ImageId,Label"
    ids, labels = zip(*(map(int, line.split(",")) for line in lines[1:]))
    return np.array(ids), np.array(labels)


def test_submission_scores_what_the_model_scores(kaggle_files, tmp_path, capsys):
    folder, test_images, test_labels = kaggle_files
    out = tmp_path / "submission.csv"
    code = main(["kaggle", "--train", str(folder / "train.csv"), "--test", str(folder / "test.csv"),
                 "-o", str(out), "--model", "knn", "--save-model", str(tmp_path / "knn.npz")])
    assert code == 0
    assert f"wrote {len(test_images)} predictions" in capsys.readouterr().out
    ids, predicted = read_submission(out)
    assert list(ids) == list(range(1, len(test_images) + 1))
    model, info = load_model(tmp_path / "knn.npz")
    assert info["input_shape"] == [28, 28]
    X = test_images.reshape(len(test_images), -1).astype(np.float32) / 255
    assert np.mean(predicted == test_labels) == model.score(X, test_labels) >= 0.9


def test_saved_weights_folder_gives_the_same_submission(kaggle_files, tmp_path):
    folder, _, test_labels = kaggle_files
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    assert main(["kaggle", "--train", str(folder / "train.csv"), "--test", str(folder / "test.csv"),
                 "-o", str(first), "--model", "seed-two-layer-modern", "--epochs", "15",
                 "--save-model", str(tmp_path / "model")]) == 0
    assert sorted(p.name for p in (tmp_path / "model").glob("*.npy")) == ["W1.npy", "W2.npy", "b1.npy", "b2.npy"]
    assert main(["kaggle", "--test", str(folder / "test.csv"), "-o", str(second),
                 "--model", str(tmp_path / "model")]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert np.mean(read_submission(first)[1] == test_labels) >= 0.8


def test_bom_crlf_and_blank_lines_change_nothing(kaggle_files, tmp_path):
    folder, test_images, _ = kaggle_files
    messy = write_csv(tmp_path / "messy.csv", test_images, bom=True, newline="\r\n", blank_lines=True)
    clean_out, messy_out = tmp_path / "clean-sub.csv", tmp_path / "messy-sub.csv"
    for test, out in ((folder / "test.csv", clean_out), (messy, messy_out)):
        assert main(["kaggle", "--train", str(folder / "train.csv"), "--test", str(test), "-o", str(out),
                     "--model", "knn"]) == 0
    assert messy_out.read_bytes() == clean_out.read_bytes()


@pytest.mark.parametrize("which, make, message", [
    ("train", lambda p, im, lab: write_csv(p, im), "no 'label' column"),
    ("test", lambda p, im, lab: write_csv(p, im, n_pixels=783), "783"),
    ("train", lambda p, im, lab: write_csv(p, np.where(im > 200, 0, im).astype(np.uint16) + 256 * (im > 200), lab),
     "256"),
    ("test", lambda p, im, lab: p.write_text("label,pixel0\n"), ""),
])
def test_bad_csvs_are_one_line_errors_and_write_nothing(kaggle_files, tmp_path, capsys, which, make, message):
    folder, test_images, test_labels = kaggle_files
    paths = {"train": folder / "train.csv", "test": folder / "test.csv"}
    paths[which] = make(tmp_path / f"bad-{which}.csv", test_images[:30], test_labels[:30])
    out = tmp_path / "submission.csv"
    out.write_text("old\n")
    code = main(["kaggle", "--train", str(paths["train"]), "--test", str(paths["test"]), "-o", str(out),
                 "--model", "knn"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("digitlab: error:") and err.count("\n") == 1 and message in err
    assert out.read_text() == "old\n"  # the previous submission is untouched
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_model_for_other_images_is_refused_before_writing(kaggle_files, tmp_path, capsys):
    folder, _, _ = kaggle_files
    from sklearn.linear_model import LogisticRegression

    from digitlab.data import to_features
    from digitlab.models import save_model

    digits = load_dataset("digits").train
    small = LogisticRegression(max_iter=1000).fit(to_features(digits.images), digits.labels)
    save_model(small, tmp_path / "digits8.npz", info={"input_shape": [8, 8]})
    out = tmp_path / "submission.csv"
    assert main(["kaggle", "--test", str(folder / "test.csv"), "-o", str(out),
                 "--model", str(tmp_path / "digits8.npz")]) == 2
    assert "takes 8x8 images; the test file has 28x28" in capsys.readouterr().err and not out.exists()
    assert main(["kaggle", "--test", str(folder / "test.csv"), "--model", str(tmp_path / "missing.npz")]) == 2
    assert main(["kaggle", "--test", str(folder / "test.csv"), "--model", "knn"]) == 2
    assert "give --train" in capsys.readouterr().err


def test_submission_text_and_its_check():
    text = submission_text(np.array([7, 2, 1]))
    assert text == "ImageId,Label\n1,7\n2,2\n3,1\n"
    check_submission(text, 3)
    for broken, n, message in [(text, 4, "3 rows for 4"), ("ImageId,label\n1,7\n", 1, "first line"),
                               ("ImageId,Label\n2,7\n", 1, "line 2"), ("ImageId,Label\n1,12\n", 1, "line 2")]:
        with pytest.raises(DigitlabError, match=message):
            check_submission(broken, n)
    with pytest.raises(DigitlabError, match="0-9"):
        submission_text(np.array([3, 10]))
    with pytest.raises(DigitlabError, match="0-9"):
        submission_text(np.array(["a", "b"]))


def test_mnist_submission_scores_like_the_model(mnist_dir, tmp_path):
    """A few thousand real MNIST rows through CSV and back: the submission's accuracy is the model's."""
    mnist = load_dataset("mnist", data_dir=mnist_dir)
    train_csv = write_csv(tmp_path / "train.csv", mnist.train.images[:3000], mnist.train.labels[:3000])
    test_csv = write_csv(tmp_path / "test.csv", mnist.test.images[:2000])
    out = tmp_path / "submission.csv"
    assert main(["kaggle", "--train", str(train_csv), "--test", str(test_csv), "-o", str(out),
                 "--model", "knn", "--save-model", str(tmp_path / "knn.npz")]) == 0
    _, predicted = read_submission(out)
    model, _ = load_model(tmp_path / "knn.npz")
    X = mnist.test.images[:2000].reshape(2000, -1).astype(np.float32) / 255
    y = mnist.test.labels[:2000]
    assert np.mean(predicted == y) == model.score(X, y) >= 0.85
