"""Copies of the lessons for a classroom: student copies (answers removed, outputs cleared,
as nbgrader makes them) and one-language copies. Both keep the layout ``notebooks/`` +
``images/`` so the figures still show."""

import shutil
from pathlib import Path

import nbformat

from .notebooks import SOLUTION_BEGIN, SOLUTION_END, lesson_sources, read_ipynb, tags


def strip_solutions(source):
    """Replace every answer between the solution markers by ``raise NotImplementedError()``."""
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == SOLUTION_BEGIN:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# 在这里写你的答案 / YOUR CODE HERE")
            out.append(f"{indent}raise NotImplementedError()")
        elif line.strip() == SOLUTION_END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def _copy_assets(root, out):
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    if (root / "images").is_dir():
        shutil.copytree(root / "images", out / "images", dirs_exist_ok=True)
    if (root / "notebooks" / "GLOSSARY.md").is_file():
        shutil.copy(root / "notebooks" / "GLOSSARY.md", out / "notebooks" / "GLOSSARY.md")
    return out / "notebooks"


def make_student(root, out):
    """Student copies of every lesson in ``out/notebooks``; returns the paths written."""
    root, out = Path(root), Path(out)
    dest, written = _copy_assets(root, out), []
    for src in lesson_sources(root):
        nb = read_ipynb(src.with_suffix(".ipynb"))
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
                if cell.metadata.get("nbgrader", {}).get("solution"):
                    cell.source = strip_solutions(cell.source)
        nb.metadata.pop("jupytext", None)  # a student copy is a plain notebook, not a pair
        written.append(dest / src.with_suffix(".ipynb").name)
        nbformat.write(nb, written[-1])
    return written


def make_export(root, lang, out):
    """Every lesson in one language (``zh`` or ``en``), outputs kept; returns the paths written."""
    if lang not in ("zh", "en"):
        raise ValueError(f"语言只能是 zh 或 en / lang must be zh or en, got {lang!r}")
    other = "en" if lang == "zh" else "zh"
    root, out = Path(root), Path(out)
    dest, written = _copy_assets(root, out), []
    for src in lesson_sources(root):
        nb = read_ipynb(src.with_suffix(".ipynb"))
        nb.cells = [c for c in nb.cells if other not in tags(c)]
        nb.metadata.pop("jupytext", None)
        written.append(dest / src.with_suffix(".ipynb").name)
        nbformat.write(nb, written[-1])
    return written
