"""The Keras engine: digitlab's architectures as `keras.Sequential` models.

For learners who think in TensorFlow/Keras. Keras 3 runs on TensorFlow, JAX or
PyTorch; which one is Keras' own choice, the `KERAS_BACKEND` environment
variable. When it is unset we pick TensorFlow if it is installed, else PyTorch,
else JAX (see `backend.py`, the only module that imports keras).

Keras model files (.keras, .h5) are never written or read: a fitted model is
stored as numpy-engine weights in our own `.npz` and rebuilt in code, so it
also runs in the numpy engine with the same outputs.

    backend.py     import keras lazily, choosing a backend
    build.py       architecture -> keras.Sequential, and weights both ways
    schedule.py    the numpy engine's learning-rate schedules, set before every Keras batch
    estimator.py   KerasNetClassifier, a scikit-learn estimator (MODELS and CODECS: digitlab.models.keras_models)
"""
