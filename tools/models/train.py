#!/usr/bin/env python3
"""Trains a zoo model on Fashion-MNIST (CPU) and saves its float weights.

  /usr/bin/python3 tools/models/train.py NAME [--epochs N] [--out DIR]

Writes DIR/NAME.pt (state dict) and DIR/NAME.train.json (epochs, float test
accuracy). Deterministic for a given seed and thread count.
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fmnist  # noqa: E402
import zoo  # noqa: E402


def to_tensor(images):
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


def augment(x, generator):
    # Random shifts of up to 2 pixels and horizontal flips.
    n = x.shape[0]
    padded = F.pad(x, (2, 2, 2, 2))
    dx = torch.randint(0, 5, (n,), generator=generator)
    dy = torch.randint(0, 5, (n,), generator=generator)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = padded[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    flip = torch.rand(n, generator=generator) < 0.5
    out[flip] = out[flip].flip(3)
    return out


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / x.shape[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("name", choices=sorted(zoo.MODELS))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("build/models"))
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    train_x, train_y = fmnist.load("train")
    test_x, test_y = fmnist.load("test")
    x, y = to_tensor(train_x), torch.from_numpy(train_y.astype(np.int64))
    tx, ty = to_tensor(test_x), torch.from_numpy(test_y.astype(np.int64))

    # channels_last runs the depthwise convolutions about twice as fast on CPU.
    model = zoo.MODELS[args.name]().to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=4e-5, nesterov=True)
    steps = args.epochs * math.ceil(x.shape[0] / args.batch)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
    history = []
    for epoch in range(args.epochs):
        model.train()
        start = time.time()
        order = torch.randperm(x.shape[0], generator=generator)
        total_loss = 0.0
        for i in range(0, x.shape[0], args.batch):
            idx = order[i:i + args.batch]
            xb = augment(x[idx], generator).contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(xb), y[idx], label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * idx.shape[0]
        acc = evaluate(model, tx, ty)
        history.append({"epoch": epoch + 1, "loss": total_loss / x.shape[0], "test_accuracy": acc,
                        "seconds": time.time() - start})
        print(f"{args.name} epoch {epoch + 1}/{args.epochs}: loss {history[-1]['loss']:.4f} "
              f"test {acc:.4f} ({history[-1]['seconds']:.0f} s)", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out / f"{args.name}.pt")
    (args.out / f"{args.name}.train.json").write_text(json.dumps({
        "model": args.name, "epochs": args.epochs, "seed": args.seed, "torch": torch.__version__,
        "float_test_accuracy": history[-1]["test_accuracy"], "history": history}, indent=1) + "\n")


if __name__ == "__main__":
    main()
