"""The torch engine: digitlab's architectures as `torch.nn` modules.

Every module in this package may import torch; nothing outside it does, and
`estimator.py` imports it only inside functions, so the estimator can be imported
(and torch-trained model files read, see `digitlab.models.torch_models`) without torch.

    build.py        architecture description -> nn.Sequential; weights both ways
    device.py       cuda / mps / cpu choice
    augment.py      random affine and elastic distortion, on whole batches
    corrupt.py      batched corruptions: pen width, blur, contrast, paper, lines, blots, noise
    robust_augment.py  the `robust` preset: the warp plus corruptions, each with a probability
    loop.py         the training loop (optimiser, schedule, AMP, channels_last, checkpoints)
    fit.py          the estimator's fit/predict: arrays in, a trained module out
    checkpoint.py   atomic checkpoints with every RNG state, for exact --resume
    distributed.py  DistributedDataParallel under torchrun, or --nproc N
    estimator.py    TorchNetClassifier (scikit-learn API)
"""


def torch_available() -> bool:
    """Whether torch imports here (model files fall back to the numpy engine when it does not)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
