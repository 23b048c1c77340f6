"""Measuring models: training runs, scores, cross-validation, sweeps and what they say.

    metrics.py      accuracy, per-class precision/recall, confusion matrix
    runs.py         one training run: fit, score, write the run folder (and its report)
    scoring.py      score a saved model on a dataset split
    compare.py      models side by side under stratified k-fold cross-validation
    cluster.py      the same cross-validation fits on a Dask cluster (the one dask import)
    comparison.py   one comparison as the CLI runs it: models and sweeps on one dataset
    results.py      a run's and a comparison's results, shown as HTML in a notebook
    sweeps.py       the classic sweeps: k-NN's k, hidden width, depth
    conclusions.py  the sentences a comparison's numbers support
    kaggle.py       Digit Recognizer: train.csv/test.csv in, submission.csv out
    corruptions.py  damaged digits: 21 label-preserving corruptions at three severities
    robustness.py   a model's accuracy under those corruptions and on labelled real folders
"""
