"""The from-scratch numpy neural-network engine.

Read it bottom up, one concept per module:

    init.py          He / Xavier / normal weight initialisation
    layers.py        Dense, BatchNorm, Dropout, Flatten (forward and backward side by side)
    activations.py   ReLU, leaky ReLU, sigmoid, tanh, softmax
    conv.py          Conv2D (im2col) and MaxPool2D
    losses.py        softmax / sigmoid cross-entropy and squared error, value and gradient together
    optimizers.py    SGD, momentum, Nesterov, Adam, AdamW, weight decay
    schedules.py     constant, step, cosine and one-cycle learning rates
    augment.py       random shifts of training images
    network.py       a stack of layers built from an architecture description (architecture.py)
    training.py      the training loop: mini-batches, history, early stopping
    settings.py      every training setting once: default, valid values, the engines that honour it
    estimators.py    scikit-learn classifiers: MLPClassifier, CNNClassifier, LeNet5Classifier;
                     from_weights, how the framework engines hand a trained network over

The engine knows nothing of files or registries: `digitlab.models` stores it.
"""
