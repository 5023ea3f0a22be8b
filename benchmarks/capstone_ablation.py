"""The ablation table of lesson 10: the recipe, the recipe minus each ingredient, on validation.

Every run trains the unchanged course MLP (``fc.NeuralNetwork``) on the 50,000 training images of
the fixed split (``fc.split_indices``) and evaluates it on the 10,000 validation images, never
on the test set. The recipe (``fmnist_core.recipe.train_recipe``): standardized inputs, AdamW
with weight decay 0.05 on the weights only, ``OneCycleLR`` with max_lr 2e-3 stepped per batch,
label smoothing 0.1, batch 128, 10 epochs. Rows:

  tutorial            the original tutorial: SGD lr 1e-3, batch 64, raw inputs, plain cross-entropy

The ladder adds one thing at a time, from the tutorial to the recipe (5 epochs at batch 64 unless
said; every rung keeps everything the rung above it has):

  ladder_adam         + Adam: AdamW with weight_decay=0 (the same update as torch.optim.Adam),
                        constant lr 1e-3, raw inputs, plain cross-entropy
  ladder_cosine       + lesson 04's cosine: CosineAnnealingLR(T_max=epochs) stepped per epoch
                        (this rung is lesson 04's Adam + cosine; also at 10 epochs)
  ladder_onecycle     + OneCycleLR, max_lr 2e-3, stepped per batch, in place of the cosine
  ladder_standardize  + standardized inputs
  ladder_smoothing    + label smoothing 0.1
  recipe              + weight decay 0.05 on the weights (AdamW): the recipe at 5 epochs, batch
                        64; then 10 epochs at batch 64, then batch 128

The ablation removes one ingredient from the recipe (10 epochs, batch 128):

  recipe              the recipe (also with batch 64 at 5 and 10 epochs, and at 20 and 40 epochs)
  no_standardize      inputs left in [0, 1]
  no_weight_decay     AdamW with weight_decay=0
  decay_biases        weight decay on the biases too (one parameter group)
  no_label_smoothing  label_smoothing=0
  constant_lr         no OneCycleLR: lr 2e-3 throughout (and so beta1 stays 0.9: no cycling)
  no_beta1_cycle      OneCycleLR's lr schedule with cycle_momentum=False: beta1 stays 0.9
  max_lr_5e-4         OneCycleLR's max_lr at a quarter (near the range test's steepest point)
  max_lr_1e-3         OneCycleLR's max_lr halved (the range test's neighbourhood)
  max_lr_4e-3         OneCycleLR's max_lr doubled
  ema                 the recipe plus an EMA of the weights (decay 0.999), the EMA evaluated
  augment             the recipe plus horizontal flips and shifts of up to 2 pixels (10, 20, 40 epochs)
  flip                the recipe plus horizontal flips only (10 and 40 epochs)

It writes one row per run to fmnist_core/capstone_ablation.csv (variant, epochs, batch_size,
seed, val_acc, train_loss, seconds, threads), adding to the rows already there (a run that is
done again replaces its row), after every run. The file lives in the package so that lesson
10 reads it on a student's install too (pyproject.toml: package-data). Everything: about an hour
and a quarter on one quiet CPU core (the ladder's rows and no_beta1_cycle, max_lr_5e-4 alone: 15
minutes of CPU time). Every variant creates its model right after ``fc.set_seed(seed)`` and then
draws random numbers only for the data order (augmentation excepted), so one seed gives the same
initial weights and data order in every variant: the runs pair up by seed.

    python benchmarks/capstone_ablation.py                       # every run, seeds 0 1 2
    python benchmarks/capstone_ablation.py --only recipe augment --seeds 0 1 2 3 4
    python benchmarks/capstone_ablation.py --resume               # only the runs not in the CSV
"""

import argparse
import csv
import time
from pathlib import Path

import splits  # benchmarks/splits.py, beside this script
import torch
from torch import nn

import fmnist_core as fc
from fmnist_core import recipe

CSV = Path(fc.__file__).with_name("capstone_ablation.csv")
FIELDS = ["variant", "epochs", "batch_size", "seed", "val_acc", "train_loss", "seconds", "threads"]

# variant -> (keyword arguments of train_recipe, [(epochs, batch_size), ...])
TEN = [(10, 128)]
FIVE = [(5, 64)]
# the ladder's rungs below the recipe: raw inputs, no weight decay, no smoothing
BARE = {"standardize": False, "weight_decay": 0.0, "label_smoothing": 0.0}
VARIANTS = {
    "tutorial": (None, [(5, 64)]),
    "ladder_adam": ({**BARE, "lr": 1e-3, "schedule": "constant"}, FIVE),
    "ladder_cosine": ({**BARE, "lr": 1e-3, "schedule": "cosine"}, [(5, 64), (10, 64)]),
    "ladder_onecycle": (BARE, FIVE),
    "ladder_standardize": ({"weight_decay": 0.0, "label_smoothing": 0.0}, FIVE),
    "ladder_smoothing": ({"weight_decay": 0.0}, FIVE),
    "recipe": ({}, [(5, 64), (10, 64), (10, 128), (20, 128), (40, 128)]),
    "no_standardize": ({"standardize": False}, TEN),
    "no_weight_decay": ({"weight_decay": 0.0}, TEN),
    "decay_biases": ({"decay_biases": True}, TEN),
    "no_label_smoothing": ({"label_smoothing": 0.0}, TEN),
    "constant_lr": ({"schedule": "constant"}, TEN),
    "no_beta1_cycle": ({"cycle_momentum": False}, TEN),
    "max_lr_5e-4": ({"lr": 5e-4}, TEN),
    "max_lr_1e-3": ({"lr": 1e-3}, TEN),
    "max_lr_4e-3": ({"lr": 4e-3}, TEN),
    "ema": ({"ema_decay": 0.999}, TEN),
    "augment": ({"augment": True}, [(10, 128), (20, 128), (40, 128)]),
    "flip": ({"augment": "flip"}, [(10, 128), (40, 128)]),
}


def tutorial(seed, epochs, batch_size):
    """The tutorial's configuration on the fast path: SGD lr 1e-3, raw [0, 1] inputs."""
    train, val, _ = fc.get_tensor_loaders(batch_size, val_size=10_000)
    fc.set_seed(seed)
    model = fc.NeuralNetwork()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        train_loss = fc.train_epoch(model, train, loss_fn, optimizer, progress=False)
    return fc.evaluate(model, val)[1], train_loss


def run(variant, seed, epochs, batch_size):
    kw, _ = VARIANTS[variant]
    if kw is None:
        return tutorial(seed, epochs, batch_size)
    kw = dict(kw)
    train, val, _ = recipe.get_loaders(batch_size, standardize=kw.pop("standardize", True))
    if kw.get("augment") == "flip":
        kw["augment"] = lambda X: recipe.augment_batch(X, max_shift=0)
    fc.set_seed(seed)
    final, history = recipe.train_recipe(fc.NeuralNetwork(), train, epochs, **kw)
    return fc.evaluate(final, val)[1], history[-1]["train_loss"]


def read_rows():
    if not CSV.exists():
        return {}
    with open(CSV, newline="") as f:
        return {
            (r.get("split", "0"), r["variant"], r["epochs"], r["batch_size"], r["seed"]): r
            for r in csv.DictReader(f)
        }


def write_rows(rows):
    order = list(VARIANTS)

    def key(r):
        return (
            int(r.get("split", 0)),
            order.index(r["variant"]),
            int(r["epochs"]),
            int(r["batch_size"]),
            int(r["seed"]),
        )

    with open(CSV, "w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(rows.values(), key=key))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--max-epochs", type=int, default=40, help="skip longer budgets")
    parser.add_argument("--min-epochs", type=int, default=1, help="skip shorter budgets")
    parser.add_argument("--resume", action="store_true", help="skip the runs already in the CSV")
    parser.add_argument("--split", type=int, default=0, help=splits.HELP)
    args = parser.parse_args()
    global CSV, FIELDS
    CSV, FIELDS = splits.use_split(args.split, CSV, FIELDS)
    rows = read_rows()
    print(f"torch={torch.__version__} threads={torch.get_num_threads()} -> {CSV}", flush=True)
    for variant in args.only:
        for epochs, batch_size in VARIANTS[variant][1]:
            if not args.min_epochs <= epochs <= args.max_epochs:
                continue
            for seed in args.seeds:
                key = (str(args.split), variant, str(epochs), str(batch_size), str(seed))
                if args.resume and key in rows:
                    continue
                start = time.perf_counter()
                val_acc, train_loss = run(variant, seed, epochs, batch_size)
                seconds = time.perf_counter() - start
                row = {
                    "variant": variant,
                    "epochs": str(epochs),
                    "batch_size": str(batch_size),
                    "seed": str(seed),
                    "val_acc": f"{val_acc:.4f}",
                    "train_loss": f"{train_loss:.4f}",
                    "seconds": f"{seconds:.1f}",
                    "threads": str(torch.get_num_threads()),
                }
                if args.split:
                    row["split"] = str(args.split)
                rows[key] = row
                write_rows(rows)
                print(
                    f"{variant:<19} split={args.split} epochs={epochs:<3} batch={batch_size:<4} seed={seed} "
                    f"val_acc={100 * val_acc:.2f}% train_loss={train_loss:.4f} ({seconds:.0f} s)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
