"""Finding, reading and building the lessons: ``notebooks/NN_slug.py`` is the source,
``notebooks/NN_slug.ipynb`` the same cells with the outputs of a run on the CPU.

``build`` stamps each notebook with what it was built from (a hash of its code cells and of the
package modules a lesson imports), so ``lint`` can tell a notebook whose outputs are stale.
Every command imports this module: ``nbformat`` (the ``teacher`` and ``dev`` extras) and
``jupytext`` (``dev`` only) are imported where they are used, so a command that does not need
them runs without them.
"""

import hashlib
import os
import re
from pathlib import Path

LESSON = re.compile(r"^\d\d_[a-z0-9_]+\.py$")
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
# what JupyterLab writes for ipykernel's kernel: with anything else an untouched lesson opens modified
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
PACKAGE = Path(__file__).resolve().parents[1]
# the modules whose code shapes a lesson's outputs (the tooling and the CLI do not)
CORE_MODULES = ["__init__.py", "data.py", "model.py", "train.py", "plot.py", "checks/__init__.py"]
# modules (and data) only some lessons use: they count for a lesson whose code names them
LESSON_MODULES = [
    "taught.py",
    "recipe.py",
    "optim_table.py",
    "capstone_ablation.csv",
    "capstone_ablation_splits.csv",
    "optim_compare.csv",
    "optim_compare_splits.csv",
]


def find_root(start=None):
    """The repository root: the nearest folder above ``start`` (default: here) with ``notebooks/``
    and ``pyproject.toml``; else the folder above the installed package."""
    here = Path(start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "notebooks").is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    return Path(__file__).resolve().parents[2]


def lesson_sources(root):
    """The lesson ``.py`` files under ``root/notebooks``, in order."""
    return sorted(p for p in (Path(root) / "notebooks").glob("*.py") if LESSON.match(p.name))


def read_py(path):
    """A lesson's ``.py`` as a notebook (jupytext)."""
    import jupytext

    return jupytext.read(path)


def read_ipynb(path):
    """A lesson's ``.ipynb`` (nbformat 4)."""
    import nbformat

    return nbformat.read(path, as_version=4)


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _sha(parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:16]


def provenance(py_path, nb=None):
    """What a lesson's outputs depend on: ``{"code": hash of its code cells, "package": hash of
    the core modules and of the lesson's own checkers}``."""
    py_path = Path(py_path)
    nb = nb or read_py(py_path)
    code = _sha(c.source.strip() for c in nb.cells if c.cell_type == "code")
    modules = list(CORE_MODULES)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    modules += [m for m in LESSON_MODULES if re.search(rf"\b{Path(m).stem}\b", source)]
    checker = PACKAGE / "checks" / f"lesson{py_path.name[:2]}.py"
    if checker.is_file():
        modules.append(f"checks/{checker.name}")
    package = _sha(f"{m}\n{(PACKAGE / m).read_text(encoding='utf-8')}" for m in modules)
    return {"code": code, "package": package}


def stamp(nb, py_path):
    """Record in ``nb``'s metadata what it was built from, and the kernelspec JupyterLab writes."""
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["fmnist_core"] = provenance(py_path)
    return nb


def _merged(src):
    """The ``.py`` cells combined with the existing ``.ipynb``'s cells, so cell ids stay stable."""
    from jupytext.combine import combine_inputs_with_outputs

    nb = read_py(src)
    ipynb = src.with_suffix(".ipynb")
    if ipynb.exists():
        nb = combine_inputs_with_outputs(nb, read_ipynb(ipynb), fmt="py:percent")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)  # timestamps: noise in every rebuild's diff
    return nb


def build(sources, timeout=900, force=False):
    """Execute each lesson's ``.py`` top to bottom on the CPU and write its paired ``.ipynb``.

    A lesson whose code and package are unchanged since its last build (only its text changed)
    gets the new text without being run again, unless ``force``.
    """
    import jupytext
    from nbclient import NotebookClient

    kernel_env = {**os.environ, "FMNIST_DEVICE": "cpu"}  # stored outputs are made on the CPU
    for src in map(Path, sources):
        nb = _merged(src)
        ipynb = src.with_suffix(".ipynb")
        old = read_ipynb(ipynb).metadata.get("fmnist_core") if ipynb.exists() else None
        executed = all(
            c.get("execution_count") is not None or not c.source.strip()
            for c in nb.cells
            if c.cell_type == "code"
        )
        if not force and executed and old == provenance(src):
            print(f"{src.name}: 代码未变，只更新文字 / code unchanged, text updated", flush=True)
        else:
            print(f"运行 / running {src.name} ...", flush=True)
            NotebookClient(
                nb,
                timeout=timeout,
                kernel_name="python3",
                record_timing=False,
                resources={"metadata": {"path": str(src.parent)}},
            ).execute(env=kernel_env)  # the kernel's environment, not this process's
        jupytext.write(stamp(nb, src), ipynb)
        print(f"  写入 / wrote {ipynb.name}", flush=True)


TIME_PATTERNS = {  # the time line under a lesson's title, in each language
    "zh": re.compile(r"预计用时：约 (\d+) 分钟(?:，另加约 (\d+) 分钟)?"),
    "en": re.compile(r"Time: about (\d+) min(?:, plus about (\d+) min)?"),
}


def lesson_time(cells, lang="zh"):
    """The minutes a lesson states under its title, ``(core, optional)`` (optional 0 if none),
    from its first markdown cell in ``lang``; None if that cell has no time line."""
    for cell in cells:
        if cell.get("cell_type") == "markdown" and lang in tags(cell):
            m = TIME_PATTERNS[lang].search(cell.get("source", ""))
            return (int(m[1]), int(m[2] or 0)) if m else None
    return None


def exercise_kinds(py_path):
    """The kind of each exercise of a lesson, in order: the ``exercise-...`` tag of each solution
    cell without its prefix (``predict``, ``debug``, ``transfer``, ``implement``; ``""`` if
    untagged, which ``lint`` reports)."""
    kinds = []
    for cell in read_py(py_path).cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            kind = next((t for t in tags(cell) if t.startswith("exercise-")), "")
            kinds.append(kind.removeprefix("exercise-"))
    return kinds
