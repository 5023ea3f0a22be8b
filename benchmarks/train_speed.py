"""Training speed: the original tutorial's loop against fmnist_core, in one process, alternately.

Each round trains one epoch of the course model (SGD, lr 1e-3, batch 64) three ways:
  seed loop   - the original tutorial: DataLoader + ToTensor, batch moved to the device each step;
  bare tensor - a plain whole-tensor loop written by hand (index a random permutation per batch);
  fmnist_core - fc.train_epoch over fc.TensorLoader (what the lessons use, progress bar on).
It prints samples per second for each; the last line is speedup_vs_seed_loop=<ratio>.

    python benchmarks/train_speed.py [--rounds 3]
"""

import argparse
import time

import torch
from torch import nn
from torch.utils.data import DataLoader

import fmnist_core as fc


def seed_loop(model, loss_fn, optimizer, device, dataset):
    """The tutorial's train_loop, as written there (without its print)."""
    model.train()
    for X, y in DataLoader(dataset, batch_size=64, shuffle=True):
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return loss.item()


def bare_loop(model, loss_fn, optimizer, device, X, y):
    model.train()
    perm = torch.randperm(len(X), device=device)
    for i in range(0, len(X), 64):
        idx = perm[i : i + 64]
        loss = loss_fn(model(X[idx]), y[idx])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return loss.item()


def core_loop(model, loss_fn, optimizer, device, X, y):
    return fc.train_epoch(model, fc.TensorLoader(X, y, 64, shuffle=True), loss_fn, optimizer)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    device = fc.get_device()
    dataset = fc.load_datasets()[0]
    X, y = fc.load_tensors(train=True, device=device)
    n = len(X)
    runs = {
        "seed_loop": lambda m, l, o: seed_loop(m, l, o, device, dataset),
        "bare_tensor_loop": lambda m, l, o: bare_loop(m, l, o, device, X, y),
        "fmnist_core": lambda m, l, o: core_loop(m, l, o, device, X, y),
    }
    seconds = {name: 0.0 for name in runs}
    print(
        f"device={device} torch={torch.__version__} threads={torch.get_num_threads()} "
        f"rounds={args.rounds} samples_per_epoch={n}",
        flush=True,
    )
    for r in range(args.rounds + 1):  # round 0 warms up and is not counted
        for name, run in runs.items():
            fc.set_seed(r)
            model = fc.NeuralNetwork().to(device)
            optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            run(model, nn.CrossEntropyLoss(), optimizer)  # ends with .item(): waits for the device
            took = time.perf_counter() - start
            if r > 0:
                seconds[name] += took
            print(
                f"round {r}{' (warm-up)' if r == 0 else ''}: {name:<17} {took:6.2f} s/epoch",
                flush=True,
            )
    rate = {name: args.rounds * n / s for name, s in seconds.items()}
    for name in runs:
        print(f"{name}_samples_per_s={rate[name]:.0f}")
    print(f"fmnist_core_vs_bare_tensor_loop={rate['fmnist_core'] / rate['bare_tensor_loop']:.2f}")
    print(f"speedup_vs_seed_loop={rate['fmnist_core'] / rate['seed_loop']:.2f}")


if __name__ == "__main__":
    main()
