"""Time and peak memory of the numpy engine predicting with the shipped CNN, per chunk size.

    OPENBLAS_NUM_THREADS=1 python benchmarks/nn_predict_chunks.py --chunk 1024
    OPENBLAS_NUM_THREADS=1 python benchmarks/nn_predict_chunks.py --chunk 256

One chunk size per process, so the peak resident memory printed is that chunk size's own.
"""

import argparse
import resource
import time

import numpy as np

from digitlab.models import pretrained
from digitlab.nn.training import predict_proba


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk", type=int, default=256, help="images per forward pass")
    parser.add_argument("--n", type=int, default=3000, help="images to predict (random pixels)")
    parser.add_argument("--model", default="torch-cnn-64-128-robust", help="a shipped model's name")
    args = parser.parse_args()
    model, _ = pretrained.load_pretrained(args.model)
    X = np.random.default_rng(0).random((args.n, 1, 28, 28), dtype=np.float32)
    start = time.perf_counter()
    predict_proba(model.network_, X, batch_size=args.chunk)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"chunk {args.chunk}: {args.n} images in {seconds:.2f} s, peak resident memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
