"""Comparisons on a Dask cluster: the same scores as local processes (same seed, same folds), a
worker that dies mid-fit has its fit rerun elsewhere, a fit that kills every worker it meets is one
error naming the model, and an unreachable scheduler is one line and exit status 2."""

import json
import os

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from digitlab.cli import main
from digitlab.errors import DigitlabError
from digitlab.evaluate import cluster as cluster_module
from digitlab.evaluate import compare
from digitlab.evaluate.cluster import on_cluster
from digitlab.evaluate.compare import Candidate, cross_validate_candidates, load_cv_data
from digitlab.evaluate.comparison import run_comparison

distributed = pytest.importorskip("dask.distributed")

MODELS = "knn,logreg,mlp"
PARAMS = {"mlp": {"hidden_layer_sizes": (16,), "max_iter": 5}}


@pytest.fixture(scope="module")
def threads_cluster():
    """Two single-thread workers in this process, on loopback."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        yield cluster


@pytest.fixture(scope="module")
def process_cluster():
    """Two worker processes, each watched by a nanny that restarts it when it dies; the scheduler
    reruns a dead worker's fit once (allowed-failures 1), so a second death is the fit's fault."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address=":0") as cluster:
        yield cluster


def scores(result):
    return [(r["label"], r["test_accuracy"], r["train_accuracy"], r["n_params"]) for r in result["models"]]


def test_the_cluster_gives_the_local_scores(threads_cluster, tmp_path, capsys):
    kwargs = {"dataset": "digits", "models": MODELS, "cv": 3, "seed": 3, "subsample": 300, "params": PARAMS}
    local = run_comparison(n_jobs=1, **kwargs)
    with distributed.Client(threads_cluster, set_as_default=False) as client:  # the API takes a Client
        remote = run_comparison(scheduler=client, **kwargs)
        assert client.status == "running"  # a Client we were given stays open
    assert scores(remote) == scores(local)
    assert remote["settings"]["scheduler"] == threads_cluster.scheduler_address
    assert "2 workers, 2 threads" in remote["settings"]["n_jobs_text"]

    # and the command line with --scheduler ADDRESS: the same numbers again, sweeps included
    out = tmp_path / "report.html"
    code = main(["compare", "--models", "knn,logreg", "--sweep", "knn-k", "--cv", "3", "--seed", "3",
                 "--subsample", "300", "--scheduler", threads_cluster.scheduler_address,
                 "-o", str(out), "--json"])
    assert code == 0
    cli = json.loads(capsys.readouterr().out)
    assert scores(cli) == scores(local)[:2]
    local_k = run_comparison(dataset="digits", sweeps=["knn-k"], cv=3, seed=3, subsample=300, n_jobs=1)
    assert ([r["test_accuracy"] for r in cli["sweeps"][0]["rows"]]
            == [r["test_accuracy"] for r in local_k["sweeps"][0]["rows"]])
    assert threads_cluster.scheduler_address in out.read_text()


class KillsItsWorker(BaseEstimator, ClassifierMixin):
    """Wraps a model; its fit ends the worker process it runs in: the first fit to get there
    (`once=True`: `marker` does not yet exist), or every fit (`once=False`)."""

    def __init__(self, estimator=None, marker="", once=True, runner=0):
        self.estimator, self.marker, self.once, self.runner = estimator, marker, once, runner

    def fit(self, X, y):
        if os.getpid() == self.runner:  # never end the test run itself
            raise RuntimeError("a fit ran in the test process, not on the cluster")
        if not self.once or _first(self.marker):
            os._exit(1)
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X):
        return self.estimator_.predict(X)


def _first(marker: str) -> bool:
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        return True
    except FileExistsError:
        return False


def killing(monkeypatch, marker, once):
    real = compare.make_model
    monkeypatch.setattr(compare, "make_model",
                        lambda *a, **k: KillsItsWorker(real(*a, **k), str(marker), once, os.getpid()))


def test_a_fit_whose_worker_dies_is_rerun_elsewhere(process_cluster, monkeypatch, tmp_path):
    X, y, _ = load_cv_data("digits", subsample=300, seed=0)
    candidates = [Candidate("logreg", "logreg"), Candidate("knn", "knn", {"n_neighbors": 3})]
    local = cross_validate_candidates(candidates, X, y, cv=3, seed=0, n_jobs=1)
    marker = tmp_path / "killed-once"
    killing(monkeypatch, marker, once=True)
    with on_cluster(process_cluster.scheduler_address, share=(X, y)) as cluster:
        assert cluster.workers == 2
        remote = cross_validate_candidates(candidates, X, y, cv=3, seed=0, n_jobs=-1)
    assert marker.exists()  # a worker did die mid-run
    for here, there in zip(local, remote):  # every fold is there, with the local scores
        np.testing.assert_array_equal(there["test_accuracy"], here["test_accuracy"])
        np.testing.assert_array_equal(there["train_accuracy"], here["train_accuracy"])


def test_a_fit_that_kills_every_worker_is_one_error_naming_the_model(process_cluster, monkeypatch,
                                                                     tmp_path):
    X, y, _ = load_cv_data("digits", subsample=120, seed=0)
    killing(monkeypatch, tmp_path / "unused", once=False)
    monkeypatch.setattr(cluster_module, "ATTEMPTS", 2)
    with pytest.raises(DigitlabError, match=r"^cross-validating knn: .*the comparison stopped") as err, \
            on_cluster(process_cluster.scheduler_address, share=(X, y)):
        cross_validate_candidates([Candidate("knn", "knn")], X, y, cv=2, seed=0, n_jobs=-1)
    assert "\n" not in str(err.value)


def test_a_fit_that_raises_on_the_cluster_keeps_its_own_error(threads_cluster):
    X, y, _ = load_cv_data("digits", subsample=120, seed=0)
    with pytest.raises(ValueError, match="n_neighbors"), on_cluster(threads_cluster.scheduler_address):
        cross_validate_candidates([Candidate("knn", "knn", {"n_neighbors": 0})], X, y, cv=2, n_jobs=-1)


def test_an_unreachable_scheduler_is_one_line_and_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT", "1s")
    out = tmp_path / "report.html"
    code = main(["compare", "--models", "knn", "--subsample", "100", "--cv", "2",
                 "--scheduler", "tcp://127.0.0.1:9", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("digitlab: error: --scheduler tcp://127.0.0.1:9: could not reach a Dask "
                          "scheduler there")
    assert err.count("\n") == 1 and not out.exists()


@pytest.mark.parametrize("address", ["nonsense", "", "tcp://host", "10.0.0.5:port"])
def test_an_address_without_host_and_port_is_one_line(address, capsys):
    assert main(["compare", "--models", "knn", "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert err == (f"digitlab: error: --scheduler: give a Dask scheduler address such as "
                   f"tcp://HOST:8786, got {address!r}\n")


def test_without_dask_the_flag_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "dask.distributed", None)
    code = main(["compare", "--models", "knn", "--scheduler", "tcp://127.0.0.1:8786"])
    assert code == 2
    assert capsys.readouterr().err == ("digitlab: error: --scheduler needs Dask: "
                                       "pip install 'digitlab[cluster]'\n")
