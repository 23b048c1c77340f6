"""Every command README.md shows runs as written (from the repository root, as a reader would).

The commands are read out of README.md's ```console blocks (and `make demo` out of the Makefile), so
a command added to README.md without an entry in PLAN below fails `test_every_readme_command_is_planned`.
They run in order, in this process, in one scratch folder holding the files README.md assumes
(photo.jpg, scans/, more/*.png, number.png, train.csv, test.csv), with README.md's relative paths
(`../shared/data/mnist`, `examples/`) pointing where they point from the repository root.

Most run exactly as written. Those that train for minutes or hours, or need the network, run by
default as the documented fast substitute in PLAN (the same command on a 1,000-image slice of
MNIST, with fewer --epochs or a smaller --n, or a local copy instead of the network); `pytest
--runslow` runs them as written, except the network download, the two torch trainings that take
hours on a CPU (they made the shipped model; BENCHMARKS.md has their runs) and the two installs
(`make test`, `pip install`), which are this suite itself and pip's job. The server example runs `digitlab serve` in a subprocess and
sends it README.md's curl requests (curl's `[...784 values 0-255...]` filled in with 784 zeros).
Needs real MNIST (../shared/data/mnist); the torch and onnx examples skip without those extras.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import MNIST_DIR, REPO

SHARED = REPO.parent / "shared"  # what README.md's ../shared/ means from the repository root
SLOW = "--runslow"


@dataclass(frozen=True)
class Plan:
    fast: str | None = None  # the substitute run without --runslow; None: always as written
    why: str = ""
    needs: tuple = ()  # optional modules, or paths that must exist
    skip: str | None = None  # never run here, and why
    hours: bool = False  # hours even on a GPU-less --runslow run: always the substitute


MNIST = "--dataset mnist --data-dir ../shared/data/mnist"
SMALL = "--dataset mnist-small"  # the substitutes' MNIST: 1,000 train and 100 test images, as IDX files
PLAN = {
    "make demo": Plan(why="runs the Makefile's demo command (installing the venv is pip's job)"),
    "make test": Plan(skip="this test suite itself"),
    "digitlab data info mnist --data-dir ../shared/data/mnist": Plan(),
    "digitlab data show mnist --data-dir ../shared/data/mnist --n 36 -o grid.png": Plan(),
    "digitlab data download mnist": Plan(
        fast="digitlab data download mnist --data-dir mnist-copy",
        why="no network here: a folder already holding the four files, which the command verifies"),
    f"digitlab train {MNIST} --model knn --json": Plan(
        fast=f"digitlab train {SMALL} --model knn --json", why="k-NN scores 10,000 images"),
    "digitlab train --model mlp --hidden 256 --epochs 60 --batch-size 32 --lr 0.002": Plan(),
    f"digitlab train --model cnn {MNIST} --epochs 3": Plan(
        fast=f"digitlab train --model cnn {SMALL} --epochs 1 --subsample 300", why="minutes on two cores"),
    "digitlab evaluate runs/digits-mlp-20261121-070412 --split train": Plan(
        why="the run folder is the one `train --model mlp` above made (its name has the time in it)"),
    f"digitlab train {MNIST} --engine torch --model examples/deotte-cnn.json --epochs 30 --lr 0.003 "
    "--solver adamw --alpha 0.0001 --schedule onecycle "
    "--augment affine --label-smoothing 0.1 --param channels_last=true --seed 30": Plan(
        fast=f"digitlab train {SMALL} --engine torch --model examples/deotte-cnn.json --epochs 1 --lr 0.003 "
             "--augment affine --label-smoothing 0.1 --param channels_last=true --seed 30 --subsample 200",
        why="hours on CPU", needs=("torch",), hours=True),
    f"digitlab train {MNIST} --engine torch --model cnn --channels 64,128 --hidden 128 --dropout 0.25 "
    "--epochs 24 --batch-size 128 --lr 0.003 --solver adamw --alpha 0.0001 --schedule onecycle "
    "--augment robust --label-smoothing 0.1 --seed 0": Plan(
        fast=f"digitlab train {SMALL} --engine torch --model cnn --channels 8,16 --hidden 16 --dropout 0.25 "
             "--epochs 1 --batch-size 128 --lr 0.003 --solver adamw --augment robust --label-smoothing 0.1 "
             "--seed 0 --subsample 200 --name other-cnn",
        why="hours on CPU; its run is the runs/other-cnn the ensemble example names", needs=("torch",),
        hours=True),
    "digitlab ensemble torch-cnn-64-128-robust runs/other-cnn --tta -o ensemble.npz": Plan(needs=("torch",)),
    f"digitlab evaluate ensemble.npz {MNIST}": Plan(
        fast=f"digitlab evaluate ensemble.npz {SMALL}",
        why="a 4 MB CNN over 9 shifted views of 10,000 images",
        needs=("torch",)),
    "digitlab compare --dataset digits --models knn,logreg,svm,forest,sk-mlp,mlp,cnn --cv 4": Plan(
        fast="digitlab compare --dataset digits --models knn,logreg,svm,forest,sk-mlp,mlp,cnn --cv 2 "
             "--subsample 300 --param cnn.max_iter=1 --param mlp.max_iter=5 --param sk-mlp.max_iter=20",
        why="the numpy CNN trains for minutes"),
    "digitlab compare --dataset digits --sweep width      # or knn-k, depth, all": Plan(
        fast="digitlab compare --dataset digits --sweep width --subsample 300 --cv 2", why="eight widths x 4 folds"),
    f"digitlab compare {MNIST} --subsample 2000 --models knn,mlp --cv 3": Plan(
        fast=f"digitlab compare {SMALL} --models knn,mlp --cv 3", why="a minute on two cores"),
    "dask scheduler                                   # on 10.0.0.5: listens on port 8786": Plan(
        skip="starts a Dask scheduler on another machine; tests/test_compare_cluster.py covers the path"),
    "dask worker tcp://10.0.0.5:8786 --nworkers 1 --nthreads 4": Plan(skip="a worker on another machine"),
    f"digitlab compare {MNIST} --subsample 20000 --models knn,logreg,mlp --sweep width --cv 5 "
    "--scheduler tcp://10.0.0.5:8786": Plan(skip="needs that cluster; tests/test_compare_cluster.py runs one"),
    "digitlab predict photo.jpg scans/ 'more/*.png'": Plan(),
    "digitlab read number.png": Plan(),
    "digitlab inspect photo.jpg -o stages.png": Plan(),
    "digitlab robustness torch-cnn-64-128-robust --data-dir ../shared/data/mnist "
    "--data ../shared/data/handwriting-dev/usps-train -o robustness.html": Plan(
        fast="digitlab robustness torch-cnn-64-128-robust --data-dir ../shared/data/mnist "
             "--data usps-small -o robustness.html --n 10 --severities 2",
        why="63 corrupted copies of 500 digits and 7,291 USPS scans: 21 of 10, and 100 scans", needs=(SHARED / "data" / "handwriting-dev" / "usps-train",)),
    "pip install 'digitlab[serve]'": Plan(skip="pip's job, and the extra is installed here"),
    "digitlab serve --port 8765": Plan(why="started in a subprocess (see test_serve_and_curl)", needs=("fastapi",)),
    "curl -s localhost:8765/api/health": Plan(why="sent to the server above"),
    "curl -s localhost:8765/api/predict -H 'content-type: application/json' "
    "-d '{\"pixels\": [...784 values 0-255...]}'": Plan(why="784 zeros for the placeholder"),
    "curl -s localhost:8765/api/read -H 'content-type: application/json' "
    "-d \"{\\\"image\\\": \\\"$(base64 -w0 number.png)\\\"}\"": Plan(why="sent to the server above"),
    "curl -s localhost:8765/api/models": Plan(why="sent to the server above"),
    "curl -s localhost:8765/api/corrections -H 'content-type: application/json' "
    "-d '{\"image\": \"...base64...\", \"label\": 7}'": Plan(why="number.png's base64 for the placeholder"),
    "curl -s 'localhost:8765/api/corrections?offset=0&limit=50'      # newest first, with the total": Plan(
        why="sent to the server above"),
    "curl -s -X DELETE localhost:8765/api/corrections/12             # one; DELETE /api/corrections: all": Plan(
        why="the id of the correction posted above for 12"),
    "digitlab adapt torch-cnn-64-128-robust --examples my-digits/ -o mine.npz": Plan(
        fast="digitlab adapt torch-cnn-64-128-robust --examples my-digits/ -o mine.npz --epochs 1 "
             "--mnist-test 200 --replay 200 --data-dir ../shared/data/mnist",
        why="MNIST is replayed from the shared folder here (a user's comes from `data download`)"),
    "digitlab predict --model mine.npz photo.jpg": Plan(),
    "digitlab export torch-cnn-64-128-robust --format onnx -o model.onnx": Plan(needs=("onnx", "onnxruntime")),
    f"digitlab train --model seed-two-layer {MNIST} --name two   # 784-10-10": Plan(
        fast=f"digitlab train --model seed-two-layer {SMALL} --name two",
        why="500 full-batch passes over 60,000 images"),
    "digitlab export runs/two --format npy-dir -o model/": Plan(),
    "digitlab kaggle --train train.csv --test test.csv -o submission.csv --model mlp": Plan(),
    "digitlab kaggle --test test.csv --model model/ -o submission.csv": Plan(),
}
SERVER = [cmd for cmd in PLAN if cmd.startswith(("digitlab serve", "curl"))]


def readme_commands() -> list[str]:
    """The prompt lines (`$ ...`, or `host$ ...`) of README.md's console blocks, continuation lines joined,
    in order, without the prompt."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
        for line in re.sub(r"\\\n\s*", "", block).splitlines():
            if prompt := re.match(r"\s*[\w.-]*\$ ", line):
                commands.append(line[prompt.end():].strip())
    return commands


def test_every_readme_command_is_planned():
    commands = readme_commands()
    assert len(commands) >= 30
    assert [c for c in commands if c not in PLAN] == [], "add the new README.md commands to PLAN"
    assert [c for c in PLAN if c not in commands] == [], "PLAN names commands README.md no longer shows"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, mnist_dir):
    """A scratch folder with the files README.md's examples assume, made from MNIST test digits."""
    from PIL import Image

    from digitlab.data import load_dataset
    from digitlab.data.synth import line, photo

    root = tmp_path_factory.mktemp("readme")
    test = load_dataset("mnist", data_dir=mnist_dir).test
    rng = np.random.default_rng(0)
    Image.fromarray(photo(test.images[0], rng)).save(root / "photo.jpg")
    for folder in ("scans", "more"):
        (root / folder).mkdir()
        Image.fromarray(photo(test.images[1], rng)).save(root / folder / "a.png")
    Image.fromarray(np.full((60, 60), 235, np.uint8)).save(root / "scans" / "blank.png")
    Image.fromarray(line([test.images[i] for i in (3, 2, 1, 0)], rng)).save(root / "number.png")
    train = load_dataset("mnist", data_dir=mnist_dir).train
    header = ",".join(f"pixel{i}" for i in range(784))
    rows = lambda images: [",".join(map(str, image.ravel())) for image in images]
    (root / "train.csv").write_text("\n".join([f"label,{header}", *(
        f"{label},{row}" for label, row in zip(train.labels[:2000], rows(train.images[:2000])))]) + "\n")
    (root / "test.csv").write_text("\n".join([header, *rows(test.images[:300])]) + "\n")
    small = root / "mnist-small"
    small.mkdir()
    for name, array in {"train-images-idx3-ubyte": train.images[:1000], "train-labels-idx1-ubyte": train.labels[:1000],
                        "t10k-images-idx3-ubyte": test.images[:100], "t10k-labels-idx1-ubyte": test.labels[:100]}.items():
        array = np.ascontiguousarray(array, dtype=np.uint8)
        (small / name).write_bytes(bytes([0, 0, 8, array.ndim]) + b"".join(
            d.to_bytes(4, "big") for d in array.shape) + array.tobytes())
    usps = SHARED / "data" / "handwriting-dev" / "usps-train"
    if (usps / "labels.csv").is_file():
        (root / "usps-small").mkdir()
        lines = (usps / "labels.csv").read_text().splitlines()[:101]
        (root / "usps-small" / "labels.csv").write_text("\n".join(lines) + "\n")
        for row in lines[1:]:
            shutil.copy(usps / row.split(",")[0], root / "usps-small")
    for index in range(30):  # my-digits/<label>/: three of each digit, as `digitlab adapt` reads them
        folder = root / "my-digits" / str(test.labels[index + 1000])
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(255 - test.images[index + 1000]).save(folder / f"{index}.png")
    shutil.copytree(mnist_dir, root / "mnist-copy" / "mnist",
                    ignore=shutil.ignore_patterns("*.part", ".*"))
    cwd = os.getcwd()
    os.chdir(root)
    yield root
    os.chdir(cwd)


def as_run_here(command: str, root: Path) -> list[str]:
    """README.md's relative paths resolved as from the repository root; the run folder it names found."""
    argv = shlex.split(command, comments=True)
    out = []
    for arg in argv:
        arg = arg.replace("../shared/data/mnist", str(MNIST_DIR)).replace("../shared/", f"{SHARED}/")
        arg = arg.replace("examples/", f"{REPO}/examples/")
        if arg.startswith("runs/digits-mlp-"):
            arg = str(max((root / "runs").glob("digits-mlp-*")))
        out.append(arg)
    return out[1:]  # without "digitlab"


def _runnable(command: str, runslow: bool):
    plan = PLAN[command]
    if plan.skip:
        pytest.skip(plan.skip)
    for need in plan.needs:
        if isinstance(need, Path):
            if not need.exists():
                pytest.skip(f"{need} not here")
        else:
            pytest.importorskip(need)
    if command == "make demo":
        demo = re.search(r"^demo:.*\n\t\$\(BIN\)/(digitlab .*)$", (REPO / "Makefile").read_text(),
                         re.MULTILINE)
        return demo[1]
    if plan.hours or command == "digitlab data download mnist":
        return plan.fast  # hours of training; the network, never reachable from the tests
    return command if runslow or plan.fast is None else plan.fast


@pytest.mark.parametrize("command", [c for c in PLAN if c not in SERVER])
def test_readme_command_runs(command, workspace, request, capsys):
    from digitlab.cli import main

    to_run = _runnable(command, request.config.getoption(SLOW))
    status = main(as_run_here(to_run, workspace))
    out, err = capsys.readouterr()
    assert status == 0, f"{to_run}\n{err[-2000:]}"
    assert "Traceback" not in err
    if "--json" in to_run:
        json.loads(out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_and_curl(workspace):
    """`digitlab serve --port 8765` in a subprocess (on a free port if 8765 is taken), then the curl lines."""
    pytest.importorskip("fastapi")
    if not shutil.which("curl"):
        pytest.skip("no curl")
    port = 8765
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        port = _free_port()
    except OSError:
        pass
    server = subprocess.Popen([sys.executable, "-m", "digitlab", "serve", "--port", str(port), "--workers", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO), "DIGITLAB_DATA": str(workspace)})
    posted = None
    try:
        assert "serving on" in server.stdout.readline()
        for command in SERVER[1:]:
            shell = command.replace("8765", str(port)).replace("[...784 values 0-255...]", json.dumps([0] * 784))
            shell = shell.replace("...base64...", base64.b64encode((workspace / "number.png").read_bytes()).decode())
            shell = shell.replace("/corrections/12 ", f"/corrections/{posted} ")
            deadline = time.monotonic() + 30
            while True:
                result = subprocess.run(shell, shell=True, capture_output=True, text=True, cwd=workspace,
                                        check=False)
                deleted = "DELETE" in command and result.returncode == 0  # 204: no body
                if result.stdout or deleted or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            answer = json.loads(result.stdout or "{}")
            assert "detail" not in answer, (command, answer)
            posted = answer.get("id", posted)
    finally:
        server.terminate()
        server.wait(timeout=30)
