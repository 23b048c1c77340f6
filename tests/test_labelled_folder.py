"""Labelled folders (digitlab.data.labelled) and the figures the reading path scores on them (evaluate.reading)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitlab.data.labelled import labelled_files
from digitlab.errors import DigitlabError
from digitlab.evaluate.reading import score_files, summarise


def _png(path: Path, value: int = 255) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8), value, np.uint8)).save(path)


def test_labels_csv_names_files_and_keeps_its_order(tmp_path):
    for name in ("b.png", "a.png"):
        _png(tmp_path / name)
    (tmp_path / "labels.csv").write_text("file,label\nb.png,7\na.png, 3\n", encoding="utf-8")
    files = labelled_files(tmp_path)
    assert [(Path(p).name, label) for p, label in files] == [("b.png", 7), ("a.png", 3)]


def test_sub_folders_give_their_digit_and_skip_other_files(tmp_path):
    _png(tmp_path / "0" / "x.png")
    _png(tmp_path / "9" / "y.PNG")
    _png(tmp_path / "9" / "a.jpg")
    (tmp_path / "9" / "notes.txt").write_text("not an image", encoding="utf-8")
    _png(tmp_path / "letters" / "z.png")  # not a digit folder
    files = labelled_files(tmp_path)
    assert [(Path(p).name, label) for p, label in files] == [("x.png", 0), ("a.jpg", 9), ("y.PNG", 9)]


def test_labels_csv_wins_over_sub_folders(tmp_path):
    _png(tmp_path / "1" / "x.png")
    _png(tmp_path / "x.png")
    (tmp_path / "labels.csv").write_text("file,label\nx.png,4\n", encoding="utf-8")
    assert [label for _, label in labelled_files(tmp_path)] == [4]


@pytest.mark.parametrize("table", ["file,label\na.png,seven\n", "file,label\na.png,12\n",
                                   "name,digit\na.png,1\n", "file,label\n"])
def test_a_bad_label_file_is_one_clear_error(tmp_path, table):
    (tmp_path / "labels.csv").write_text(table, encoding="utf-8")
    with pytest.raises(DigitlabError, match="labels.csv"):
        labelled_files(tmp_path)


def test_an_empty_folder_is_an_error(tmp_path):
    with pytest.raises(DigitlabError, match="no labelled images"):
        labelled_files(tmp_path)


def test_summary_counts_no_digit_as_wrong_and_scores_ok_answers_alone():
    labels = [0, 1, 2, 3, 3]
    digits = [0, 7, -1, 3, 5]
    statuses = ["ok", "unsure", "no digit", "ok", "ok"]
    s = summarise(labels, digits, statuses)
    assert s["accuracy"] == pytest.approx(2 / 5)
    assert s["no_digit"] == pytest.approx(1 / 5) and s["unsure"] == pytest.approx(1 / 5)
    assert s["ok_accuracy"] == pytest.approx(2 / 3)
    assert s["confusions"] == ["1->7 1", "3->5 1"]  # the "no digit" answer is no confusion


def test_score_files_is_what_predict_files_answers(tmp_path):
    """A blank page through the product's path: "no digit"; a file that is not an image: unreadable."""
    from digitlab.read.reader import Reader

    _png(tmp_path / "blank.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    s = score_files(Reader.load(), [(str(tmp_path / "blank.png"), 1), (str(tmp_path / "broken.png"), 2)])
    assert s["accuracy"] == 0 and s["no_digit"] == 0.5 and s["unreadable"] == 0.5
