"""The optimizers of lessons 13 and 14 on the course task: the table both lessons read.

``benchmarks/optim_compare.py`` trains each optimizer for 2 epochs on 3 seeds and writes one row
per run, evaluated on validation only: ``optim_compare.csv`` on the course's fixed validation
split (split 0), ``optim_compare_splits.csv`` on two more splits (1 and 2, the split's seed
moved). Both files are installed with the package, so the lessons read them on a student's
machine too and do not train these runs live. Used in lessons 13 and 14.
"""

import csv
import statistics
from pathlib import Path

FILES = [Path(__file__).with_name(n) for n in ("optim_compare.csv", "optim_compare_splits.csv")]


def read(files=FILES):
    """``{split: {optimizer: {seed: row}}}``, every row a dict of the CSV's strings."""
    table = {}
    for path in files:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                split = table.setdefault(int(row.get("split", 0)), {})
                split.setdefault(row["optimizer"], {})[int(row["seed"])] = row
    return table


def accs(runs, name):
    """The validation accuracies (%) of ``name``, seed by seed, from one split's ``runs``."""
    return [100 * float(runs[name][s]["val_acc"]) for s in sorted(runs[name])]


def train_losses(runs, name):
    """The last epoch's training losses of ``name``, seed by seed."""
    return [float(runs[name][s]["train_loss"]) for s in sorted(runs[name])]


def print_comparison(runs, names, reference, width=15):
    """Mean ± sd, every seed, and the paired difference from ``reference`` on the same seed."""
    first = runs[reference][min(runs[reference])]
    seeds = "、".join(str(s) for s in sorted(runs[reference]))
    print(
        f"{first['model']}: 验证准确率（%），{first['epochs']} 轮，种子 {seeds}；"
        f"Δ = 同一种子上减去 {reference}"
    )
    print(
        f"val accuracy (%), {first['epochs']} epochs, seeds {seeds.replace('、', ', ')}; "
        f"Δ = minus {reference} on the same seed"
    )
    print(
        f"{'optimizer':<{width}}{'lr':>7}{'mean ± sd':>15}{'per seed':>21}{'Δ per seed':>23}"
        f"{'train loss':>12}"
    )
    for name in names:
        a, ref = accs(runs, name), accs(runs, reference)
        each = " ".join(f"{x:6.2f}" for x in a)
        delta = "—" if name == reference else " ".join(f"{x - r:+6.2f}" for x, r in zip(a, ref))
        print(
            f"{name:<{width}}{runs[name][min(runs[name])]['lr']:>7}"
            f"{statistics.mean(a):>8.2f} ± {statistics.stdev(a):.2f}{each:>21}{delta:>23}"
            f"{statistics.mean(train_losses(runs, name)):>12.3f}"
        )


def deltas_by_split(table, names, reference, width=15):
    """Print and return ``{split: {name: [Δ per seed]}}``: each name minus ``reference`` on the
    same seed, on every validation split of ``table``."""
    out = {
        s: {n: [x - r for x, r in zip(accs(runs, n), accs(runs, reference))] for n in names}
        for s, runs in sorted(table.items())
    }
    print(
        f"Δ = 减去 {reference}（百分点），每个划分 3 个种子 / minus {reference} (points), "
        "3 seeds on each split"
    )
    print(f"{'optimizer':<{width}}" + "".join(f"{'split ' + str(s):>24}" for s in out))
    for n in names:
        print(
            f"{n:<{width}}"
            + "".join(" ".join(f"{d:+6.2f}" for d in out[s][n]).rjust(24) for s in out)
        )
    return out
