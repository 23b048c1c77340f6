"""Train the line model shipped as digitlab/read/line_model.npz (see digitlab/read/line_model.py).

    .venv/bin/python benchmarks/reading_line_model.py --data-dir ../shared/data/mnist

Lines of 1-6 MNIST train digits drawn as ink maps (`digitlab.data.ink_lines`),
each a fresh random line, read by the network of `digitlab.read.line_model`
in PyTorch with the CTC loss: Adam from 0.002 on a cosine schedule, 32 lines
a step, 8,000 steps (256,000 lines), one thread plus one process drawing the
lines; about 50 minutes on one core. Nothing from the handwriting-dev sets is
trained on; they chose only when the reader trusts this model (segment.py).
The package runs the network in NumPy; the weights keep PyTorch's names.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitlab.data.idx import read_idx
from digitlab.data.ink_lines import ink_line
from digitlab.files import atomic_path, write_json
from digitlab.read.line_model import BLANK, CONVS, HEIGHT, STRIDE, strip_input


def build(torch):
    """The network of digitlab/read/line_model.py, its layers named as the numpy loader expects."""
    nn = torch.nn

    class LineNet(nn.Module):
        def __init__(self):
            super().__init__()
            layers, channels = [], 1
            for filters, pool in CONVS:
                layers += [nn.Conv2d(channels, filters, 3, padding=1), nn.ReLU()] + ([nn.MaxPool2d(2)] if pool else [])
                channels = filters
            self.convs = nn.Sequential(*layers)  # convs.0, convs.3, convs.6
            self.column = nn.Linear(channels * HEIGHT // STRIDE, 128)
            self.context = nn.Conv1d(128, 128, 5, padding=2)
            self.out = nn.Linear(128, BLANK + 1)

        def forward(self, x):  # (n, 1, HEIGHT, W) -> logits (n, W // STRIDE, 11)
            f = self.convs(x)  # (n, C, 8, T)
            n, c, h, t = f.shape
            f = torch.relu(self.column(f.permute(0, 3, 1, 2).reshape(n, t, c * h)))  # (n, T, 128)
            f = torch.relu(self.context(f.transpose(1, 2))).transpose(1, 2)
            return self.out(f)

    return LineNet()


def batches(torch, images, labels, batch: int, seed: int):
    """Endless batches (x (n, 1, HEIGHT, W), concatenated labels, columns per line, digits per line)."""

    class Lines(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            rng = np.random.default_rng([seed, info.id if info else 0])
            while True:
                lines = []
                for _ in range(batch):
                    pick = rng.choice(len(images), int(rng.integers(1, 7)))
                    lines.append((strip_input(ink_line(images[pick], rng)).input, labels[pick]))
                width = -(-max(x.shape[1] for x, _ in lines) // STRIDE) * STRIDE
                xs = np.zeros((batch, 1, HEIGHT, width), np.float32)  # padded right with empty paper
                for i, (x, _) in enumerate(lines):
                    xs[i, 0, :, :x.shape[1]] = x
                yield (torch.from_numpy(xs), torch.from_numpy(np.concatenate([y for _, y in lines]).astype(np.int64)),
                       torch.tensor([x.shape[1] // STRIDE for x, _ in lines]), torch.tensor([len(y) for _, y in lines]))

    return torch.utils.data.DataLoader(Lines(), batch_size=None, num_workers=1, prefetch_factor=4)


def train(data_dir: Path, steps: int, batch: int, lr: float, seed: int, log_every: int = 200):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    images = read_idx(data_dir / "train-images-idx3-ubyte.gz")
    labels = read_idx(data_dir / "train-labels-idx1-ubyte.gz")
    net = build(torch)
    opt = torch.optim.Adam(net.parameters(), lr)
    ctc = torch.nn.CTCLoss(blank=BLANK, zero_infinity=True)
    start, running = time.perf_counter(), 0.0
    for step, (x, y, columns, lengths) in enumerate(batches(torch, images, labels, batch, seed)):
        if step >= steps:
            break
        for group in opt.param_groups:
            group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
        loss = ctc(net(x).log_softmax(-1).transpose(0, 1), y, columns, lengths)  # CTC wants (T, n, 11)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if step % log_every == 0:
            print(f"step {step}: loss {running:.3f}, {time.perf_counter() - start:.0f} s", flush=True)
    return net, running, time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data/mnist"))
    p.add_argument("--steps", type=int, default=8000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=7, help="seeds the lines drawn")
    p.add_argument("--out", type=Path, default=Path("digitlab/read/line_model.npz"))
    a = p.parse_args(argv)
    net, loss, seconds = train(a.data_dir, a.steps, a.batch, a.lr, a.seed)
    with atomic_path(a.out) as tmp, open(tmp, "wb") as f:
        np.savez(f, **{name: value.numpy() for name, value in net.state_dict().items()})
    command = (f"python benchmarks/reading_line_model.py --data-dir ../shared/data/mnist --steps {a.steps} "
               f"--batch {a.batch} --lr {a.lr} --seed {a.seed} --out {a.out}")
    write_json(a.out.with_suffix(".json"), {"command": command, "lines": a.steps * a.batch,
                                            "final_loss": round(loss, 4), "seconds": round(seconds)})
    print(f"wrote {a.out}: loss {loss:.3f} after {a.steps} steps, {seconds:.0f} s")


if __name__ == "__main__":
    main()
