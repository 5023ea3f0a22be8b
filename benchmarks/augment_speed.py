"""Does whole-batch augmentation keep the fast path fast? Lesson 10's recipe with and without it.

Each round trains one epoch of the course MLP with ``fmnist_core.recipe.train_recipe`` (the fast
path: ``TensorLoader`` batches of 128 standardized images, AdamW, OneCycleLR, EMA) twice, in
alternating order: without augmentation, and with ``recipe.augment_batch`` (horizontal flips and
shifts of up to 2 pixels, one gather per batch) on every batch. It prints the median seconds
per epoch of each, the time ``augment_batch`` alone takes per epoch, and the ratio; the last
line is ``augment_slowdown=<ratio>`` (the issue asks for at most 1.20).

    python benchmarks/augment_speed.py [--rounds 5] [--threads 2]
"""

import argparse
import statistics
import time

import torch

import fmnist_core as fc
from fmnist_core import recipe


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    train, _, _ = recipe.get_loaders(128)
    print(
        f"torch={torch.__version__} threads={torch.get_num_threads()} rounds={args.rounds} "
        f"batches_per_epoch={len(train)}",
        flush=True,
    )
    seconds = {False: [], True: []}
    for r in range(args.rounds + 1):  # round 0 warms up and is not counted
        for augment in (False, True) if r % 2 else (True, False):
            fc.set_seed(r)
            start = time.perf_counter()
            recipe.train_recipe(fc.NeuralNetwork(), train, 1, augment=augment)
            took = time.perf_counter() - start
            if r > 0:
                seconds[augment].append(took)
            name = "with augmentation" if augment else "without"
            print(
                f"round {r}{' (warm-up)' if r == 0 else ''}: {name:<17} {took:6.2f} s", flush=True
            )
    start = time.perf_counter()
    for X, _ in train:
        recipe.augment_batch(X)
    alone = time.perf_counter() - start
    plain, augmented = statistics.median(seconds[False]), statistics.median(seconds[True])
    print(f"epoch_without_augmentation_s={plain:.2f}")
    print(f"epoch_with_augmentation_s={augmented:.2f}")
    print(f"augment_batch_alone_per_epoch_s={alone:.2f}")
    print(f"augment_slowdown={augmented / plain:.3f}")


if __name__ == "__main__":
    main()
