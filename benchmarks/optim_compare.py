"""The optimizers of lessons 13 and 14 on the course task, on validation: the table both lessons read.

Every run trains on the 50,000 training images of the course's fixed split (``fc.split_indices``,
through ``fc.get_tensor_loaders(..., val_size=10_000)``) for 2 epochs with batches of 64 and
plain cross-entropy, and is evaluated on the 10,000 validation images, never on the test set.
A small budget on purpose: the question is what a learner sees who swaps the optimizer of the
course's training loop and changes nothing else. Each optimizer uses one learning rate, chosen
before any run: its PyTorch default where that is meant to be used as given (Adam 1e-3, NAdam and
Adamax 2e-3, RAdam 1e-3, Adadelta 1.0, Adafactor's relative 1e-2), and Adam also at 2e-3, so that
NAdam and Adamax can be set beside Adam at their own learning rate. Rows:

  mlp     the course model (fc.NeuralNetwork, 784-512-512-10):
          Adam 1e-3 and 2e-3, NAdam, RAdam, Adamax, Adadelta (lesson 13), Adafactor (lesson 14)
  narrow  lesson 14's narrow model (784-32-64-10), whose bfloat16 Newton-Schulz is cheap on a CPU:
          AdamW alone (weight_decay 0.01) at 1e-3, 3e-3 and 1e-2, so that Muon is not compared with
          an AdamW held back by a small learning rate; Muon for the two hidden weight matrices with AdamW
          for the rest, once with adjust_lr_fn="match_rms_adamw" at AdamW's lr 1e-3 (Moonshot's
          way to reuse AdamW's settings) and once with the "original" scaling at Keller Jordan's
          lr 0.02; both with weight_decay 0.01, as AdamW

Rprop and L-BFGS are left out (full-batch methods: lesson 13 compares them on a full-batch
problem), ASGD too (SGD plus an average, for convex problems; lesson 10 covers averaging), and
SparseAdam needs an embedding (lesson 14 shows it on one).

It writes one row per run to fmnist_core/optim_compare.csv (model, optimizer, lr, seed, epochs,
val_acc, val_loss, train_loss, seconds, threads), adding to the rows already there (a run done
again replaces its row), after every run. Lessons 13 and 14 read the file and tabulate it; they
do not train these runs live. The file lives in the package so that the lessons read it on a
student's install too (pyproject.toml: package-data). Everything: about 10 minutes on one core.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/optim_compare.py             # seeds 0 1 2
    python benchmarks/optim_compare.py --only Adam NAdam --seeds 3 4
    python benchmarks/optim_compare.py --resume                                  # missing runs
"""

import argparse
import csv
import time
from pathlib import Path

import splits  # benchmarks/splits.py, beside this script
import torch
from torch import nn

import fmnist_core as fc

CSV = Path(fc.__file__).with_name("optim_compare.csv")
FIELDS = [
    "model",
    "optimizer",
    "lr",
    "seed",
    "epochs",
    "val_acc",
    "val_loss",
    "train_loss",
    "seconds",
    "threads",
]
EPOCHS, BATCH = 2, 64


def narrow_model():
    """Lesson 14's narrow model: 784 -> 32 -> 64 -> 10."""
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10)
    )


class Both:
    """Two optimizers stepped as one (Muon for the hidden weights, AdamW for the rest)."""

    def __init__(self, *optimizers):
        self.optimizers = optimizers

    def step(self):
        for optimizer in self.optimizers:
            optimizer.step()

    def zero_grad(self, set_to_none=True):
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)


def muon_with_adamw(model, lr, adjust_lr_fn):
    hidden = [model[1].weight, model[3].weight]
    rest = [p for p in model.parameters() if all(p is not h for h in hidden)]
    return Both(
        torch.optim.Muon(hidden, lr=lr, weight_decay=0.01, adjust_lr_fn=adjust_lr_fn),
        torch.optim.AdamW(rest, lr=1e-3, weight_decay=0.01),
    )


def one(optimizer_class, **kw):
    return lambda model, lr: optimizer_class(model.parameters(), lr=lr, **kw)


# name -> (model, lr, make(model, lr))
RUNS = {
    "Adam": ("mlp", 1e-3, one(torch.optim.Adam)),
    "Adam lr=2e-3": ("mlp", 2e-3, one(torch.optim.Adam)),
    "NAdam": ("mlp", 2e-3, one(torch.optim.NAdam)),
    "RAdam": ("mlp", 1e-3, one(torch.optim.RAdam)),
    "Adamax": ("mlp", 2e-3, one(torch.optim.Adamax)),
    "Adadelta": ("mlp", 1.0, one(torch.optim.Adadelta)),
    "Adafactor": ("mlp", 1e-2, one(torch.optim.Adafactor)),
    "AdamW": ("narrow", 1e-3, one(torch.optim.AdamW, weight_decay=0.01)),
    "AdamW lr=3e-3": ("narrow", 3e-3, one(torch.optim.AdamW, weight_decay=0.01)),
    "AdamW lr=1e-2": ("narrow", 1e-2, one(torch.optim.AdamW, weight_decay=0.01)),
    "Muon match_rms_adamw": (
        "narrow",
        1e-3,
        lambda m, lr: muon_with_adamw(m, lr, "match_rms_adamw"),
    ),
    "Muon original": ("narrow", 0.02, lambda m, lr: muon_with_adamw(m, lr, "original")),
}
MODELS = {"mlp": fc.NeuralNetwork, "narrow": narrow_model}


def run(name, seed):
    model_name, lr, make = RUNS[name]
    train, val, _ = fc.get_tensor_loaders(
        BATCH, generator=torch.Generator().manual_seed(seed), val_size=10_000
    )
    fc.set_seed(seed)
    model = MODELS[model_name]()
    history = fc.fit(
        model,
        train,
        val,
        nn.CrossEntropyLoss(),
        make(model, lr),
        EPOCHS,
        eval_name="val",
        progress=False,
        verbose=False,
    )
    return history[-1]


def read_rows():
    if not CSV.exists():
        return {}
    with open(CSV, newline="") as f:
        return {(r.get("split", "0"), r["optimizer"], r["seed"]): r for r in csv.DictReader(f)}


def write_rows(rows):
    order = list(RUNS)
    with open(CSV, "w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            sorted(
                rows.values(),
                key=lambda r: (int(r.get("split", 0)), order.index(r["optimizer"]), int(r["seed"])),
            )
        )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="+", choices=list(RUNS), default=list(RUNS))
    parser.add_argument("--resume", action="store_true", help="skip the runs already in the CSV")
    parser.add_argument("--split", type=int, default=0, help=splits.HELP)
    args = parser.parse_args()
    global CSV, FIELDS
    CSV, FIELDS = splits.use_split(args.split, CSV, FIELDS)
    if not hasattr(torch.optim, "Muon"):
        raise SystemExit("torch.optim.Muon needs PyTorch 2.9 or later")
    rows = read_rows()
    print(f"torch={torch.__version__} threads={torch.get_num_threads()} -> {CSV}", flush=True)
    for name in args.only:
        for seed in args.seeds:
            if args.resume and (str(args.split), name, str(seed)) in rows:
                continue
            start = time.perf_counter()
            last = run(name, seed)
            seconds = time.perf_counter() - start
            model_name, lr, _ = RUNS[name]
            row = {
                "model": model_name,
                "optimizer": name,
                "lr": f"{lr:g}",
                "seed": str(seed),
                "epochs": str(EPOCHS),
                "val_acc": f"{last['val_acc']:.4f}",
                "val_loss": f"{last['val_loss']:.4f}",
                "train_loss": f"{last['train_loss']:.4f}",
                "seconds": f"{seconds:.1f}",
                "threads": str(torch.get_num_threads()),
            }
            if args.split:
                row["split"] = str(args.split)
            rows[(str(args.split), name, str(seed))] = row
            write_rows(rows)
            print(
                f"{name:<21} split={args.split} seed={seed} val_acc={100 * last['val_acc']:.2f}% "
                f"train_loss={last['train_loss']:.4f} ({seconds:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
