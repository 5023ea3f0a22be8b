"""Finding, reading and building the lessons: ``notebooks/NN_slug.py`` is the source,
``notebooks/NN_slug.ipynb`` the same cells with the outputs of a run on the CPU."""

import os
import re
from pathlib import Path

import jupytext
import nbformat

LESSON = re.compile(r"^\d\d_[a-z0-9_]+\.py$")
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"


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
    return jupytext.read(path)


def read_ipynb(path):
    return nbformat.read(path, as_version=4)


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def build(sources, timeout=900):
    """Execute each lesson's ``.py`` top to bottom on the CPU and write its paired ``.ipynb``."""
    from nbclient import NotebookClient

    os.environ["FMNIST_DEVICE"] = "cpu"  # stored outputs are made on the CPU; the kernel inherits it
    for src in sources:
        src = Path(src)
        nb = read_py(src)
        print(f"运行 / running {src.name} ...", flush=True)
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(src.parent)}}).execute()
        jupytext.write(nb, src.with_suffix(".ipynb"))
        print(f"  写入 / wrote {src.with_suffix('.ipynb').name}", flush=True)
