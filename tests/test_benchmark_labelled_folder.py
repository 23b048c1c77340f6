"""benchmarks/labelled_folder.py: the two folder layouts, bad label files, and the figures it reports."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from labelled_folder import labelled_files, read_all, summary


def _png(path: Path, value: int = 255) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8), value, np.uint8)).save(path)


def test_labels_csv_names_files_and_keeps_its_order(tmp_path):
    for name in ("b.png", "a.png"):
        _png(tmp_path / name)
    (tmp_path / "labels.csv").write_text("file,label\nb.png,7\na.png, 3\n", encoding="utf-8")
    paths, labels = labelled_files(tmp_path)
    assert [p.name for p in paths] == ["b.png", "a.png"]
    assert labels.tolist() == [7, 3] and labels.dtype == np.int64


def test_sub_folders_give_their_digit_and_skip_other_files(tmp_path):
    _png(tmp_path / "0" / "x.png")
    _png(tmp_path / "9" / "y.PNG")
    _png(tmp_path / "9" / "a.jpg")
    (tmp_path / "9" / "notes.txt").write_text("not an image", encoding="utf-8")
    _png(tmp_path / "letters" / "z.png")  # not a digit folder
    paths, labels = labelled_files(tmp_path)
    assert [p.name for p in paths] == ["x.png", "a.jpg", "y.PNG"]
    assert labels.tolist() == [0, 9, 9]


def test_labels_csv_wins_over_sub_folders(tmp_path):
    _png(tmp_path / "1" / "x.png")
    _png(tmp_path / "x.png")
    (tmp_path / "labels.csv").write_text("file,label\nx.png,4\n", encoding="utf-8")
    assert labelled_files(tmp_path)[1].tolist() == [4]


@pytest.mark.parametrize("table", ["file,label\na.png,seven\n", "file,label\na.png,12\n",
                                   "name,digit\na.png,1\n", "file,label\n"])
def test_a_bad_label_file_is_one_clear_error(tmp_path, table):
    (tmp_path / "labels.csv").write_text(table, encoding="utf-8")
    with pytest.raises(ValueError, match="labels.csv"):
        labelled_files(tmp_path)


def test_an_empty_folder_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no labels.csv"):
        labelled_files(tmp_path)


def test_summary_counts_no_digit_as_wrong_and_scores_ok_answers_alone():
    labels = [0, 1, 2, 3, 3]
    digits = [0, 7, None, 3, 5]
    statuses = ["ok", "unsure", "no digit", "ok", "ok"]
    s = summary(labels, digits, statuses)
    assert s["accuracy"] == pytest.approx(2 / 5)
    assert s["no_digit"] == pytest.approx(1 / 5) and s["unsure"] == pytest.approx(1 / 5)
    assert s["ok_accuracy"] == pytest.approx(2 / 3)
    assert s["confusions"] == ["1->7 1", "3->5 1"]  # the "no digit" answer is no confusion


def test_read_all_is_what_predict_files_answers(tmp_path):
    """A blank page through the product's path: "no digit"; a file that is not an image: "error"."""
    from digitlab.read.reader import Reader

    _png(tmp_path / "blank.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    digits, statuses = read_all(Reader.load(), [tmp_path / "blank.png", tmp_path / "broken.png"])
    assert digits == [None, None] and statuses == ["no digit", "error"]
