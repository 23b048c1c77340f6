"""Scores of a classifier on labelled data, and their plain-text form."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def classification_metrics(y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> dict:
    """Accuracy, per-class precision/recall/F1/support and the confusion matrix.

    `proba` is (n, n_classes), its columns in the order of `classes`.
    """
    y_pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    labels = np.asarray(classes)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "n": len(y_true),
        "accuracy": float(np.mean(y_pred == y_true)),
        "classes": labels.tolist(),
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "f1": f1.tolist(),
        "support": support.tolist(),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def format_metrics(metrics: dict) -> str:
    """A table of per-class scores and the confusion matrix, for a terminal."""
    lines = [f"accuracy {metrics['accuracy']:.4f} on {metrics['n']} images", "",
             "class  precision  recall     f1  support"]
    for i, c in enumerate(metrics["classes"]):
        lines.append(f"{c!s:>5}  {metrics['precision'][i]:9.3f}  {metrics['recall'][i]:6.3f}"
                     f"  {metrics['f1'][i]:5.3f}  {metrics['support'][i]:7d}")
    lines += ["", "confusion matrix (rows: true, columns: predicted)"]
    width = max(4, len(str(np.max(metrics["confusion_matrix"]))) + 1)
    lines.append("     " + "".join(f"{c!s:>{width}}" for c in metrics["classes"]))
    for c, row in zip(metrics["classes"], metrics["confusion_matrix"]):
        lines.append(f"{c!s:>5}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)
