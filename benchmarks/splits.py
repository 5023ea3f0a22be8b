"""Another validation split for the benchmarks that write one table per split.

``capstone_ablation.py`` and ``optim_compare.py`` take ``--split N``: the course's split
(``fc.split_indices``, seed ``SPLIT_SEED``) drawn with its seed moved by N, and the rows written
to the ``*_splits.csv`` beside the table, with a ``split`` column. ``claims_spread.py`` moves the
split the same way inside a lesson's kernel.
"""

import fmnist_core as fc

HELP = (
    "the validation split, as an offset to the course's split seed (0: the fixed split); "
    "the rows of another split go to the *_splits.csv file beside the CSV"
)


def use_split(split, csv_path, fields):
    """Draw the validation split with its seed moved by ``split`` from now on; return the CSV to
    write and its columns (unchanged for split 0)."""
    if not split:
        return csv_path, fields
    draw = fc.data.split_indices

    def moved(n=60_000, val_size=fc.data.VAL_SIZE, seed=fc.data.SPLIT_SEED):
        return draw(n, val_size, seed + split)

    fc.data.split_indices = moved  # what fc.get_tensor_loaders calls
    return csv_path.with_name(csv_path.stem + "_splits.csv"), ["split", *fields]
