"""Bad command lines: each is one line on stderr naming the problem, exit status 2, never a traceback.

One row per mistake a user makes: (argv, a phrase the line must contain). `{model}` is a small model
file, `{img}` a picture of a digit, `{tmp}` an empty folder. The settings of training itself
(--lr, --dropout, --epochs, ...) have their own tests with the shared parameter description.
"""

from __future__ import annotations

import re

import pytest

CASES = [
    # argparse: one line naming the command's own --help, not the top-level usage block
    ("", "the following arguments are required: COMMAND"),
    ("bogus", "invalid choice: 'bogus'"),
    ("--bogus", "digitlab --help"),
    ("train --bogus", "digitlab train: error: unrecognized arguments: --bogus (see: digitlab train --help)"),
    ("train --seed", "expected one argument"),
    ("train --seed x", "invalid int value"),
    ("train --seed 1.5", "invalid int value"),
    ("train --hidden 0", "positive whole numbers"),
    ("train --hidden a,b", "comma-separated whole numbers"),
    ("train --hidden ,", "positive whole numbers"),
    ("train --channels -1", "positive whole numbers"),
    ("train --subsample 0", "--subsample: expected a whole number >= 1, got 0"),
    ("train --subsample -3", "got -3"),
    ("train --subsample x", "expected a whole number"),
    ("train --subsample 5", "cannot hold one of each of the 10 classes"),
    ("train --subsample 9", "use 10 or more"),
    ("compare --subsample 5 --models knn", "cannot hold one of each"),
    ("compare --subsample 0", "got 0"),
    ("compare --cv x", "invalid int value"),
    ("compare --models nope", "unknown model(s) nope"),
    ("compare --sweep nope", "nope"),
    ("compare --param mlp", "MODEL.NAME=VALUE"),
    ("train --param n_neighbors", "NAME=VALUE"),
    ("train --param =3", "NAME=VALUE"),
    ("train --model knn --param bogus=1", "does not take bogus"),
    ("train --model nope", "unknown model 'nope'"),
    ("train --model seed-keras-25-15", "add --engine keras"),
    ("train --engine bogus --model mlp", "unknown engine 'bogus'"),
    ("train --dataset nope", "unknown dataset 'nope'"),
    ("train --dataset {tmp}/missing.csv", "unknown dataset"),
    ("train --dataset {tmp}", "{tmp}"),
    ("train --model {tmp}/missing.json", "missing.json"),
    ("serve --port 99999", "a port is 0-65535"),
    ("serve --port -5", "a port is 0-65535"),
    ("serve --port x", "expected a whole number"),
    ("serve --backend gpu", "invalid choice: 'gpu'"),
    ("serve --model {tmp}/missing.npz", "missing.npz"),
    ("data", "the following arguments are required: ACTION"),
    ("data info", "the following arguments are required: NAME"),
    ("data info nope", "unknown dataset 'nope'"),
    ("data info {tmp}/missing.npz", "unknown dataset"),
    ("data info digits --bogus", "digitlab data info: error: unrecognized arguments: --bogus"),
    ("data show digits --n 0", "between 1 and"),
    ("data show digits --n 100000", "between 1 and"),
    ("data show digits --split val", "invalid choice: 'val'"),
    ("data show digits -o {tmp}/grid.txt", "grid.txt"),
    ("data download nope", "invalid choice: 'nope'"),
    ("data download mnist --timeout x", "invalid float value"),
    ("evaluate", "RUN_OR_MODEL"),
    ("evaluate {tmp}/missing.npz", "missing.npz"),
    ("evaluate {tmp}", "{tmp}"),
    ("evaluate {model} --split val", "invalid choice: 'val'"),
    ("evaluate {model} --dataset nope", "unknown dataset 'nope'"),
    ("report {tmp}", "not a run folder"),
    ("report {tmp}/missing", "missing"),
    ("predict", "IMAGE_OR_FOLDER_OR_GLOB"),
    ("predict {img} --model {tmp}/missing.npz", "missing.npz"),
    ("predict {img} --model nope", "nope"),
    ("predict {img} --chunk-size 0", "--chunk-size"),
    ("predict {tmp}/nothing-*.png", "no files match"),
    ("predict {tmp}", "no image files"),
    ("predict {tmp}/missing.png", "no such file"),
    ("read {tmp}/missing.png", "missing.png"),
    ("read {img} --model {tmp}/missing.npz", "missing.npz"),
    ("inspect {tmp}/missing.png", "missing.png"),
    ("inspect {img} -o {tmp}/stages.txt", "stages.txt"),
    ("calibrate --model {tmp}/missing.npz", "missing.npz"),
    ("calibrate --validation {tmp}/missing.npz --model {model}", "missing.npz"),
    ("export {model}", "-o/--output"),
    ("export {model} -o {tmp}/m --format tflite", "invalid choice: 'tflite'"),
    ("export {tmp}/missing.npz -o {tmp}/m.onnx", "missing.npz"),
    ("ensemble -o {tmp}/e.npz", "MODEL"),
    ("ensemble {model} {tmp}/missing.npz -o {tmp}/e.npz", "missing.npz"),
    ("ensemble {model} {model} --weights 1 -o {tmp}/e.npz", "weights"),
    ("ensemble {model} {model} --weights a,b -o {tmp}/e.npz", "weights"),
    ("kaggle", "--test"),
    ("kaggle --test {tmp}/missing.csv", "missing.csv"),
    ("robustness", "MODEL"),
    ("robustness {tmp}/missing.npz", "missing.npz"),
    ("robustness {model} --n x", "invalid int value"),
]


@pytest.mark.parametrize("argv, phrase", CASES, ids=[argv or "(nothing)" for argv, _ in CASES])
def test_bad_command_line_is_one_line_exit_2(argv, phrase, cli_error, tiny_model_file, digit_png, tmp_path):
    values = {"model": tiny_model_file, "img": digit_png, "tmp": tmp_path}
    line = cli_error([part.format(**values) for part in argv.split()])
    assert phrase.format(**values) in line
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]  # nothing half-written


def test_help_lists_every_dataset_the_loader_knows(capsys):
    """--dataset's help and `data --help` come from the loader's own list, so a new dataset shows up."""
    from digitlab.cli import main
    from digitlab.data import DATASET_NAMES, DOWNLOADABLE

    lists = {"train": DATASET_NAMES, "compare": DATASET_NAMES, "data": DATASET_NAMES,
             "data info": DATASET_NAMES, "data download": DOWNLOADABLE}
    for command, names in lists.items():
        with pytest.raises(SystemExit):
            main([*command.split(), "--help"])
        text = re.sub(r"-\n\s*", "-", capsys.readouterr().out)  # argparse wraps after a hyphen
        assert all(name in text for name in names), command
