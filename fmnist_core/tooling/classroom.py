"""Copies of the lessons for a classroom.

- ``make_course``: a ready nbgrader course (``nbgrader_config.py`` and ``source/<lesson>/``), each
  lesson a plain notebook with its figures beside it and hidden tests that re-run the check with
  a freshly imported checker.
- ``make_student``: student copies as nbgrader's release makes them (nbgrader's own
  preprocessors when it is installed): answers replaced by a stub, hidden tests removed, outputs
  cleared, check cells locked the way Jupyter enforces it.
- ``make_export``: every lesson in one language.
"""

import re
import shutil
from pathlib import Path

import nbformat

from ..grading import GRADING_MARKER
from .lessons import SOLUTION_BEGIN, SOLUTION_END, lesson_sources, read_ipynb, tags

STUB = "# 在这里写你的答案 / YOUR CODE HERE\nraise NotImplementedError()"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
GRADING_SKIP_TAG = "grading-skip"  # a long demonstration cell: marked, and skipped when grading
IMAGE_LINK = re.compile(r"\]\(\.\./images/([^)\s]+)\)")
OTHER_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://|\.\./|images/)([^)\s]+\.md)\)")


def strip_solutions(source):
    """Replace every answer between the solution markers by the bilingual stub."""
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == SOLUTION_BEGIN:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + stub_line for stub_line in STUB.splitlines()]
        elif line.strip() == SOLUTION_END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def _strip_hidden(source):
    return re.sub(rf"\n?{HIDDEN_BEGIN}.*?{HIDDEN_END}\n?", "\n", source, flags=re.S).rstrip()


def _lock(nb):
    """Lock the cells as nbgrader's LockCells does: Jupyter keeps them from being edited or deleted."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.metadata["deletable"] = False
        elif meta.get("grade") or meta.get("locked"):
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False


def _plain(nb):
    """A notebook that pairs with nothing: no jupytext metadata, no build stamp, no timings."""
    nb.metadata.pop("jupytext", None)
    nb.metadata.pop("fmnist_core", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb


def student_notebook(nb):
    """What a student receives for one lesson: nbgrader's release preprocessors where nbgrader
    is installed, else the same steps written here."""
    nb = _plain(nb)
    try:
        from nbgrader.preprocessors import (
            ClearHiddenTests,
            ClearMarkScheme,
            ClearOutput,
            ClearSolutions,
            ComputeChecksums,
            LockCells,
        )
    except ImportError:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
                if cell.metadata.get("nbgrader", {}).get("solution"):
                    cell.source = strip_solutions(cell.source)
                cell.source = _strip_hidden(cell.source)
        _lock(nb)
        return nb
    resources = {}
    for pre in (
        LockCells(),
        ClearSolutions(code_stub={"python": STUB}),
        ClearOutput(),
        ComputeChecksums(),
        ClearHiddenTests(),
        ClearMarkScheme(),
        ComputeChecksums(),
    ):
        nb, resources = pre.preprocess(nb, resources)
    return nb


def _copy_assets(root, out):
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    if (root / "images").is_dir():
        shutil.copytree(root / "images", out / "images", dirs_exist_ok=True)
    if (root / "notebooks" / "GLOSSARY.md").is_file():
        shutil.copy(root / "notebooks" / "GLOSSARY.md", out / "notebooks" / "GLOSSARY.md")
    return out / "notebooks"


def make_student(root, out):
    """Student copies of every lesson in ``out/notebooks`` (figures in ``out/images``); returns
    the paths written."""
    root, out = Path(root), Path(out)
    dest, written = _copy_assets(root, out), []
    for src in lesson_sources(root):
        nb = student_notebook(read_ipynb(src.with_suffix(".ipynb")))
        written.append(dest / src.with_suffix(".ipynb").name)
        nbformat.write(nb, written[-1])
    return written


def one_language(nb, lang):
    """``nb`` without the cells of the other language (``lang``: ``zh`` or ``en``): the cells
    ``export`` writes and the web site shows."""
    if lang not in ("zh", "en"):
        raise ValueError(f"语言只能是 zh 或 en / lang must be zh or en, got {lang!r}")
    other = "en" if lang == "zh" else "zh"
    nb.cells = [c for c in nb.cells if other not in tags(c)]
    return nb


def make_export(root, lang, out):
    """Every lesson in one language (``zh`` or ``en``), outputs kept; returns the paths written."""
    one_language(
        nbformat.v4.new_notebook(), lang
    )  # a bad language fails before anything is written
    root, out = Path(root), Path(out)
    dest, written = _copy_assets(root, out), []
    for src in lesson_sources(root):
        nb = one_language(_plain(read_ipynb(src.with_suffix(".ipynb"))), lang)
        written.append(dest / src.with_suffix(".ipynb").name)
        nbformat.write(nb, written[-1])
    return written


def _hidden_check(cell, lesson):
    """A check cell followed by the same check, run again with a freshly imported checker: an
    answer cell that replaces or patches the checker cannot earn the points."""
    module = f"fmnist_core.checks.lesson{lesson}"
    return (
        f"{cell.source.rstrip()}\n{HIDDEN_BEGIN}\n"
        f"import importlib as _importlib\n"
        f"import fmnist_core.checks as _checks\n"
        f"_importlib.reload(_checks)\n"
        f"check = _importlib.reload(_importlib.import_module({module!r}))\n"
        f"{cell.source.rstrip()}\n{HIDDEN_END}"
    )


def _relink(source, included):
    """Figures beside the notebook; links to lessons of the course point at their assignment
    folder; a link to anything the course does not hold becomes plain text."""
    source = IMAGE_LINK.sub(r"](images/\1)", source)
    source = re.sub(
        r"\[([^\]]+)\]\((\d\d_[a-z0-9_]+)\.ipynb\)",
        lambda m: f"[{m[1]}](../{m[2]}/{m[2]}.ipynb)" if m[2] in included else m[1],
        source,
    )
    return OTHER_LINK.sub(r"\1", source)


def course_notebook(nb, lesson, included=()):
    """A lesson as an nbgrader source notebook: plain, figures and links rewritten for the
    course layout (``included``: the lessons in the course), hidden tests in every check cell,
    demonstration cells marked for grading."""
    nb = _plain(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _relink(cell.source, set(included))
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and "check." in cell.source:
            cell.source = _hidden_check(cell, lesson)
        if GRADING_SKIP_TAG in tags(cell):
            cell.source = f"{GRADING_MARKER}\n{cell.source}"
    return nb


# seconds a cell may run when grading: the slowest cell left in grading mode takes well under
# a minute here (benchmarks/grading_time.py); the margin is for slower grading machines
CELL_TIMEOUT = 600
CONFIG = """# nbgrader configuration written by `python -m fmnist_core course`.
# 由 `python -m fmnist_core course` 生成的 nbgrader 配置。
import os

c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = {course_id!r}
# 只发放 .ipynb 和图片：jupytext 配对的 .py 含有答案，绝不能发出去
# release only notebooks and figures: a jupytext .py beside a notebook holds the answers
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py",
                            "*.md", ".jupytext*"]
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
# 每个单元格最多运行的秒数 / seconds a cell may run (nbgrader's default of 30 cuts training cells)
c.Execute.timeout = {timeout}
# 评分模式：标着“评分时跳过”的演示单元格不运行，练习和检查照常运行
# grading mode: demonstration cells marked "skipped when grading" do not run; exercises and
# their checks run in full. The kernels nbgrader starts inherit this variable.
os.environ.setdefault("FMNIST_GRADING", "1")
"""


def make_course(root, out, course_id="fmnist-course", lessons=None):
    """Write an nbgrader course into ``out``: ``nbgrader_config.py`` and
    ``source/<lesson>/<lesson>.ipynb`` with the lesson's figures in ``source/<lesson>/images``.
    Returns the notebooks written."""
    root, out = Path(root), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(
        CONFIG.format(course_id=course_id, stub=STUB, timeout=CELL_TIMEOUT), encoding="utf-8"
    )
    sources = [
        s for s in lesson_sources(root) if not lessons or any(s.stem.startswith(w) for w in lessons)
    ]
    if not sources:
        raise ValueError(f"没有匹配的课程 / no lesson matches {lessons}")
    written = []
    for src in sources:
        folder = out / "source" / src.stem
        folder.mkdir(parents=True, exist_ok=True)
        nb = course_notebook(
            read_ipynb(src.with_suffix(".ipynb")), src.name[:2], [s.stem for s in sources]
        )
        for name in sorted(
            {
                m
                for c in nb.cells
                if c.cell_type == "markdown"
                for m in re.findall(r"\]\(images/([^)\s]+)\)", c.source)
            }
        ):
            (folder / "images").mkdir(exist_ok=True)
            shutil.copy(root / "images" / name, folder / "images" / name)
        written.append(folder / f"{src.stem}.ipynb")
        nbformat.write(nb, written[-1])
    return written
