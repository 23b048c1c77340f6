"""Seconds of training to reach 99.0% MNIST test accuracy: pytorch/examples' MNIST recipe vs our fast recipe.

    python benchmarks/torch_vs_examples.py --data-dir ../shared/data/mnist [--threads 2] [--target 0.99]

Peer (pytorch/examples mnist/main.py, as published): conv 32 3x3, conv 64 3x3,
max-pool 2, dropout 0.25, fc 128, dropout 0.5, fc 10, log-softmax + NLL;
Adadelta lr 1.0, StepLR(step 1, gamma 0.7), batch 64, inputs normalised by
(0.1307, 0.3081). Ours: the torch engine's `fast-cnn` preset exactly as
`digitlab train --engine torch --model fast-cnn` runs it (see
digitlab/models/torch_models.py), through the engine's own training loop.

What the clock covers, for both: every training step (batch gather from the
in-memory float tensor, forward, loss, backward, optimiser and schedule
steps), epoch by epoch. Not counted: loading MNIST and turning it into tensors,
building the network, and scoring the 10,000 test images at the end of every
epoch. Both run in this one process, one after the other, with the same
torch thread count; neither uses a DataLoader.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch import nn

from digitlab.data import load_dataset, to_features


class ExamplesNet(nn.Module):
    """pytorch/examples mnist/main.py `Net`, unchanged."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def run_examples(X, y, X_test, y_test, target, max_epochs, seed):
    """The peer's train/test loop; returns per-epoch (seconds, accuracy)."""
    torch.manual_seed(seed)
    model = ExamplesNet()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    norm = lambda a: (a - 0.1307) / 0.3081
    X, X_test = norm(X), norm(X_test)
    curve, elapsed = [], 0.0
    for epoch in range(max_epochs):
        started = time.perf_counter()
        model.train()
        for index in torch.randperm(len(X)).split(64):
            optimizer.zero_grad()
            loss = F.nll_loss(model(X[index]), y[index])
            loss.backward()
            optimizer.step()
        scheduler.step()
        elapsed += time.perf_counter() - started
        curve.append((elapsed, _accuracy(model, X_test, y_test)))
        print(f"  examples epoch {epoch + 1}: {elapsed:.1f} s, test accuracy {curve[-1][1]:.4f}", flush=True)
        if curve[-1][1] >= target:
            break
    return curve


def run_ours(X, y, X_test, y_test, seed):
    """digitlab's `fast-cnn` preset through the engine's own training loop; per-epoch (seconds, accuracy)."""
    from digitlab.models.torch_models import MODELS
    from digitlab.torch_engine.build import build_module
    from digitlab.torch_engine.fit import train_config
    from digitlab.torch_engine.loop import train_module

    est = MODELS["fast-cnn"]().set_params(random_state=seed, device="cpu")
    torch.manual_seed(seed)  # as the estimator's fit does
    module = build_module(est.build_architecture((1, 28, 28), 10))
    accuracies = []
    on_epoch = lambda epoch, m: accuracies.append(_accuracy(m, X_test, y_test))
    history = train_module(module, X, y, train_config(est, seed, torch.device("cpu")), torch.device("cpu"),
                           on_epoch=on_epoch)
    curve = [(h["seconds"], acc) for h, acc in zip(history, accuracies)]
    for epoch, (seconds, acc) in enumerate(curve, 1):
        print(f"  ours epoch {epoch}: {seconds:.1f} s, test accuracy {acc:.4f}", flush=True)
    return curve


@torch.inference_mode()
def _accuracy(model, X, y) -> float:
    model.eval()
    correct = sum(int((model(X[i:i + 2000]).argmax(1) == y[i:i + 2000]).sum()) for i in range(0, len(X), 2000))
    return correct / len(X)


def seconds_to(curve, target):
    return next((seconds for seconds, acc in curve if acc >= target), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--max-epochs", type=int, default=3, help="for the peer (ours trains its preset's epochs)")
    parser.add_argument("--seed", type=int, default=0, help="the peer's seed")
    parser.add_argument("--ours-seeds", type=int, nargs="+", default=[0],
                        help="our recipe is run once per seed (the first one is compared)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_dataset("mnist", data_dir=args.data_dir)
    as_images = lambda split: torch.from_numpy(to_features(split.images)).view(-1, 1, 28, 28)
    X, y = as_images(data.train), torch.from_numpy(data.train.labels)
    X_test, y_test = as_images(data.test), torch.from_numpy(data.test.labels)
    print(f"torch {torch.__version__}, {args.threads} thread(s)", flush=True)
    ours = {seed: run_ours(X, y, X_test, y_test, seed) for seed in args.ours_seeds}
    peer = run_examples(X, y, X_test, y_test, args.target, args.max_epochs, args.seed)
    ours_seconds = {seed: seconds_to(curve, args.target) for seed, curve in ours.items()}
    a, b = ours_seconds[args.ours_seeds[0]], seconds_to(peer, args.target)
    if a and b:
        ratio = f"{b / a:.1f}x"
    elif a and peer:  # the peer stopped short: its time so far is a lower bound
        ratio = f"more than {peer[-1][0] / a:.1f}x (examples not at the target after {peer[-1][0]:.0f} s)"
    else:
        ratio = "n/a (a side did not reach the target)"
    print(json.dumps({"target": args.target, "threads": args.threads, "ours_curves": ours, "examples_curve": peer,
                      "ours_seconds": ours_seconds, "examples_seconds": b, "speedup": ratio}, indent=2))

if __name__ == "__main__":
    main()
