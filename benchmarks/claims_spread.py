"""Do the lessons' asserted claims hold across seeds and thread counts? How much do they move?

Runs each lesson top to bottom (as nbval does) with every seed shifted by an offset (the seeds of
the runs: initial weights, batch order), the validation split drawn with its seed shifted by
another offset (``--splits``; 0 is the course's fixed split) and torch limited to a number of
threads, and reports whether every cell ran (every assert held) and the
final accuracy of every run the lesson keeps in a ``histories`` dict, so the spread of each
compared number can be read off.

    python benchmarks/claims_spread.py --lessons 04 09 --seeds 0 1 2 --threads 1 2
    python benchmarks/claims_spread.py --lessons 06 --splits 0 1 2 --seeds 0 1 2 --threads 1

A few asserts check an identity of fixed data rather than a run: lesson 04's ``random_split``
with seed 0 equals the course's split, lesson 05's least-squares fit of its one sample of 40.
Shifting every seed breaks them by construction, and the run stops there before it reaches the
compared runs; ``--fixed TEXT`` replaces each code line containing TEXT by ``pass`` (say which):

    python benchmarks/claims_spread.py --lessons 04 --splits 1 2 \
        --fixed "sorted(train_part.indices)" "sorted(val_part.indices)"
"""

import argparse
import itertools
import json
import re
import sys
import time
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from fmnist_core.tooling.lessons import lesson_sources, read_py  # noqa: E402

PATCH = """
import torch as _torch
_torch.set_num_threads({threads})
_seed = _torch.manual_seed
_torch.manual_seed = lambda s: _seed(s + {offset})
class _Generator(_torch.Generator):
    def manual_seed(self, s):
        return super().manual_seed(s + {offset})
_torch.Generator = _Generator
import random as _random
_rseed = _random.seed
_random.seed = lambda s=None: _rseed(None if s is None else s + {offset})
# the validation split moves only with its own offset, not with the runs' seeds
import sys as _sys
import fmnist_core as _fc
_split = _fc.split_indices
def _fixed_split(n=60_000, val_size=_fc.data.VAL_SIZE, seed=_fc.data.SPLIT_SEED):
    _torch.Generator = _Generator.__base__
    try:
        return _split(n, val_size, seed + {split})
    finally:
        _torch.Generator = _Generator
for _m in list(_sys.modules.values()):
    if getattr(_m, "__name__", "").startswith("fmnist_core") and getattr(_m, "split_indices", None) is _split:
        _m.split_indices = _fixed_split
"""
REPORT = """
import json as _json
_out = {}
for _name, _value in list(globals().items()):
    if isinstance(_value, dict) and _name.endswith("histories"):
        for _run, _h in _value.items():
            if isinstance(_h, list) and _h and isinstance(_h[-1], dict):
                _acc = {k: v for k, v in _h[-1].items() if k.endswith(("_acc", "train_loss"))}
                if _acc:
                    _out[f"{_name}[{_run}]"] = _acc
# a lesson whose compared runs are single numbers keeps them in a dict named ``accuracy``
if isinstance(globals().get("accuracy"), dict):
    for _run, _v in globals()["accuracy"].items():
        if isinstance(_v, float):
            _out[f"accuracy[{_run}]"] = {"val_acc": _v}
print("REPORT" + _json.dumps(_out))
"""


def run(src, offset, threads, split=0, fixed=()):
    import nbformat

    nb = read_py(src)
    for cell in nb.cells:
        if cell.cell_type == "code" and any(t in cell.source for t in fixed):
            cell.source = "\n".join(
                line[: len(line) - len(line.lstrip())] + "pass  # --fixed"
                if any(t in line for t in fixed)
                else line
                for line in cell.source.splitlines()
            )
    nb.cells.insert(
        0, nbformat.v4.new_code_cell(PATCH.format(offset=offset, threads=threads, split=split))
    )
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    start = time.perf_counter()
    try:
        NotebookClient(
            nb,
            timeout=1800,
            kernel_name="python3",
            resources={"metadata": {"path": str(src.parent)}},
        ).execute()
    except CellExecutionError as e:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(e))  # without the traceback's colours
        lines = [line for line in plain.splitlines() if line.strip()]
        # the line the traceback's arrow points at, not the last assert shown around it
        failing = next((line for line in reversed(lines) if "--->" in line), "")
        return False, (failing.strip() + " " + lines[-1])[:300], {}, time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    report = json.loads(text.split("REPORT", 1)[1]) if "REPORT" in text else {}
    return True, "", report, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--splits", nargs="*", type=int, default=[0], help="split seed offsets")
    parser.add_argument("--fixed", nargs="*", default=[], help="leave out lines with this text")
    parser.add_argument("--skip", nargs="*", default=[], help="SPLIT/SEED pairs already run")
    args = parser.parse_args(argv)
    sources = [
        s
        for s in lesson_sources(ROOT)
        if not args.lessons or any(s.stem.startswith(w) for w in args.lessons)
    ]
    skip = {tuple(map(int, pair.split("/"))) for pair in args.skip}
    failures = 0
    for src in sources:
        values = {}
        for split, threads, offset in itertools.product(args.splits, args.threads, args.seeds):
            if (split, offset) in skip:
                continue
            ok, why, report, secs = run(src, offset, threads, split, args.fixed)
            failures += not ok
            print(
                f"{src.stem:26} split+{split} seed+{offset} threads={threads}: "
                f"{'all asserts hold' if ok else 'FAILED: ' + why} ({secs:.0f} s)",
                flush=True,
            )
            for run_name, acc in report.items():
                for key, v in acc.items():
                    values.setdefault(f"{run_name} {key}", []).append(v)
                    shown = f"{v:.4f}" if key.endswith("loss") else f"{100 * v:.2f}%"
                    print(f"    {run_name} {key} = {shown}", flush=True)
        for name, vs in sorted(values.items()):
            if name.endswith("loss"):
                print(f"    {name:60} min {min(vs):.4f}  max {max(vs):.4f}  (n={len(vs)})")
                continue
            print(
                f"    {name:60} min {100 * min(vs):6.2f}%  max {100 * max(vs):6.2f}%  "
                f"spread {100 * (max(vs) - min(vs)):.2f} points (n={len(vs)})"
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
