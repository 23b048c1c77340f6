"""Classic scikit-learn models, the baselines every network is compared with.

The defaults suit pixel features in [0, 1]. k-NN, logistic regression and
scikit-learn's MLP are stored without pickle (their learned arrays, rebuilt
on load); an SVM or a random forest has no such form here, so it is stored as
pickle bytes and reading it back needs `trust=True`.
"""

from __future__ import annotations

import io
import pickle

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelBinarizer
from sklearn.svm import SVC

from digitlab.errors import DigitlabError
from digitlab.models.modelfile import Codec

MODELS = {
    "knn": lambda: KNeighborsClassifier(n_neighbors=3, weights="distance", n_jobs=-1),
    "logreg": lambda: LogisticRegression(C=0.1, max_iter=300),
    # SVC's own probability=True is deprecated; calibrating on held-out folds is its replacement
    "svm": lambda: CalibratedClassifierCV(SVC(kernel="rbf", C=5.0, gamma="scale"), ensemble=False, cv=3),
    "forest": lambda: RandomForestClassifier(n_estimators=200, n_jobs=-1, random_state=0),
    "sk-mlp": lambda: MLPClassifier(hidden_layer_sizes=(100,), max_iter=200, early_stopping=True,
                                    random_state=0),
}


# -- pickle-free codecs: params + learned arrays -----------------------------

def _encode_knn(model):
    return model.get_params(), {"X": model._fit_X, "y": model.classes_[model._y]}


def _decode_knn(params, arrays, trust):
    return KNeighborsClassifier(**params).fit(arrays["X"], arrays["y"])


def _encode_logreg(model):
    return model.get_params(), {"coef": model.coef_, "intercept": model.intercept_,
                                "classes": model.classes_}


def _decode_logreg(params, arrays, trust):
    model = LogisticRegression(**params)
    model.coef_, model.intercept_, model.classes_ = arrays["coef"], arrays["intercept"], arrays["classes"]
    model.n_features_in_ = model.coef_.shape[1]
    return model


def _encode_sk_mlp(model):
    arrays = {"classes": model.classes_}
    for i, (w, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        arrays[f"coef{i}"], arrays[f"intercept{i}"] = w, b
    params = model.get_params()
    params["hidden_layer_sizes"] = list(np.atleast_1d(params["hidden_layer_sizes"]).tolist())
    return params, arrays


def _decode_sk_mlp(params, arrays, trust):
    params = {**params, "hidden_layer_sizes": tuple(params["hidden_layer_sizes"])}
    model = MLPClassifier(**params)
    n_layers = sum(name.startswith("coef") for name in arrays)
    model.coefs_ = [arrays[f"coef{i}"] for i in range(n_layers)]
    model.intercepts_ = [arrays[f"intercept{i}"] for i in range(n_layers)]
    model.n_layers_, model.n_outputs_ = n_layers + 1, model.coefs_[-1].shape[1]
    model.n_features_in_ = model.coefs_[0].shape[0]
    model.out_activation_ = "softmax" if len(arrays["classes"]) > 2 else "logistic"
    model._label_binarizer = LabelBinarizer().fit(arrays["classes"])
    model.classes_ = model._label_binarizer.classes_  # as fit sets it
    return model


# -- the ones only pickle can store -----------------------------------------

def _encode_pickled(model):
    buffer = io.BytesIO()
    pickle.dump(model, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return {}, {"pickle": np.frombuffer(buffer.getvalue(), dtype=np.uint8)}


def _decode_pickled(params, arrays, trust):
    if not trust:
        raise DigitlabError(
            "this model file holds a pickled scikit-learn model, and unpickling can run any code: "
            "load it only if you made it or trust its source (--trust)"
        )
    return pickle.loads(arrays["pickle"].tobytes())


CODECS = {
    "KNeighborsClassifier": Codec(KNeighborsClassifier, _encode_knn, _decode_knn),
    "LogisticRegression": Codec(LogisticRegression, _encode_logreg, _decode_logreg),
    "MLPClassifier": Codec(MLPClassifier, _encode_sk_mlp, _decode_sk_mlp),
    "SVC": Codec(SVC, _encode_pickled, _decode_pickled),
    "CalibratedClassifierCV": Codec(CalibratedClassifierCV, _encode_pickled, _decode_pickled),
    "RandomForestClassifier": Codec(RandomForestClassifier, _encode_pickled, _decode_pickled),
}
