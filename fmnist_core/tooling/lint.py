"""The course lint: the rules of CONTRIBUTING.md that a program can check.

- every markdown cell is tagged ``zh`` or ``en``; each ``zh`` cell is followed by its ``en``
  cell, with the same headings (level, and the first number: section or exercise), display
  formulas and images;
- exercise cells carry valid nbgrader metadata, and answers sit between the solution markers,
  inside a function; every lesson has at least two exercises, each solution cell tagged with
  its kind (``EXERCISE_KINDS``);
- each ``.py`` has its ``.ipynb``: valid (``nbformat.validate``), the same cells (jupytext's
  own comparison), all code cells executed, built from the current code (``build``'s stamp),
  with JupyterLab's kernelspec;
- no line break between two Chinese characters in a ``zh`` cell (it renders as a space), no
  control characters in markdown, code and printed lines of at most 100 characters;
- every image a lesson shows exists inside the repository (the folder ``jupyter lab`` serves).
"""

import re
from pathlib import Path

import nbformat
from jupytext.compare import NotebookDifference, compare_notebooks

from .lessons import (
    KERNELSPEC,
    SOLUTION_BEGIN,
    SOLUTION_END,
    lesson_sources,
    lesson_time,
    provenance,
    read_ipynb,
    read_py,
    tags,
)

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)")
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
CJK = "\u3400-\u9fff\uf900-\ufaff"
CJK_BREAK = re.compile(f"[{CJK}]\n[{CJK}]")
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
MAX_LINE = 100
# what an exercise asks (a tag on its solution cell), so a teacher can choose and the README lists
EXERCISE_KINDS = ("exercise-predict", "exercise-debug", "exercise-transfer", "exercise-implement")
MIN_EXERCISES = 2


def _headings(text):
    out, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        m = None if fenced else HEADING.match(line)
        if m:
            number = re.search(r"\d+", m.group(2))  # the section or exercise number
            out.append((len(m.group(1)), number.group() if number else None))
    return out


def _formulas(text):
    return [" ".join(f.split()) for f in DISPLAY_MATH.findall(text)]


def check_pairs(cells, name):
    """Each zh markdown cell followed by its en cell saying the same in structure."""
    problems = []
    md = [(i, c) for i, c in enumerate(cells) if c.cell_type == "markdown"]
    for i, cell in md:
        lang = [t for t in tags(cell) if t in ("zh", "en")]
        where = f"{name}: 单元格 / cell {i + 1}"
        if len(lang) != 1:
            problems.append(
                f"{where}: markdown 单元格需要 zh 或 en 标签之一 / a markdown cell needs "
                f"exactly one of the tags zh, en (has {tags(cell)})"
            )
            continue
        if lang[0] == "en":
            prev = cells[i - 1] if i > 0 else None
            if prev is None or prev.cell_type != "markdown" or "zh" not in tags(prev):
                problems.append(
                    f"{where}: en 单元格前面缺少对应的 zh 单元格 / en cell without the zh "
                    f"cell right before it"
                )
            continue
        nxt = cells[i + 1] if i + 1 < len(cells) else None
        if nxt is None or nxt.cell_type != "markdown" or "en" not in tags(nxt):
            problems.append(
                f"{where}: zh 单元格后面缺少对应的 en 单元格 / zh cell not followed by its en cell"
            )
            continue
        for what, get in (
            ("标题 / headings", _headings),
            ("公式 / display formulas", _formulas),
            ("图片 / images", IMAGE.findall),
        ):
            if get(cell.source) != get(nxt.source):
                problems.append(
                    f"{where}: zh 与 en 的{what}不一致 / zh and en differ in {what}: "
                    f"{get(cell.source)} != {get(nxt.source)}"
                )
    return problems


def check_nbgrader(cells, name):
    """nbgrader schema 3: solution cells and locked check cells, unique grade ids."""
    problems, seen = [], set()
    for i, cell in enumerate(cells):
        where = f"{name}: 单元格 / cell {i + 1}"
        meta = cell.get("metadata", {}).get("nbgrader")
        has_markers = SOLUTION_BEGIN in cell.source or SOLUTION_END in cell.source
        if meta is None:
            if has_markers:
                problems.append(
                    f"{where}: 有答案标记但没有 nbgrader 元数据 / solution markers "
                    f"without nbgrader metadata"
                )
            continue
        bad = []
        if meta.get("schema_version") != 3:
            bad.append("schema_version 3")
        gid = meta.get("grade_id")
        if not isinstance(gid, str) or not GRADE_ID.match(gid):
            bad.append("grade_id (letters, digits, _ or -)")
        elif gid in seen:
            bad.append(f"unique grade_id ({gid} twice)")
        seen.add(gid)
        for key in ("solution", "grade", "locked"):
            if not isinstance(meta.get(key), bool):
                bad.append(f"{key}: true/false")
        if meta.get("grade") and not (
            isinstance(meta.get("points"), (int, float)) and meta["points"] >= 0
        ):
            bad.append("points >= 0 for a graded cell")
        if meta.get("solution"):
            if meta.get("locked"):
                bad.append("a solution cell must not be locked")
            if cell.cell_type != "code":
                bad.append("a solution cell is a code cell in this course")
            bad += _marker_problems(cell.source)
        elif meta.get("grade") and not meta.get("locked"):
            bad.append("a check cell must be locked")
        if has_markers and not meta.get("solution"):
            bad.append("solution markers in a cell that is not a solution cell")
        if bad:
            problems.append(
                f"{where}: nbgrader 元数据有误 / invalid nbgrader metadata: needs " + "; ".join(bad)
            )
    return problems


def check_exercises(cells, name):
    """At least ``MIN_EXERCISES`` exercises, each solution cell tagged with one kind."""
    problems, count = [], 0
    for i, cell in enumerate(cells):
        if not cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            continue
        count += 1
        kinds = [t for t in tags(cell) if t in EXERCISE_KINDS]
        if len(kinds) != 1:
            problems.append(
                f"{name}: 单元格 / cell {i + 1}: 练习要有且只有一个类型标签 / an exercise needs "
                f"exactly one kind tag, one of {', '.join(EXERCISE_KINDS)} (has {kinds or 'none'})"
            )
    if count < MIN_EXERCISES:
        problems.append(
            f"{name}: 只有 {count} 道练习，至少要 {MIN_EXERCISES} 道 / {count} exercise(s), "
            f"a lesson needs at least {MIN_EXERCISES}"
        )
    return problems


def check_time(cells, name):
    """A time line under the title in both languages, with the same minutes (issue 17)."""
    zh, en = lesson_time(cells, "zh"), lesson_time(cells, "en")
    if zh is None or en is None:
        return [
            f"{name}: 标题下要写预计用时 / under the title, state the time: "
            "“预计用时：约 N 分钟[，另加约 M 分钟…]” / “Time: about N min[, plus about M min …]”"
        ]
    if zh != en:
        return [f"{name}: 中英文的预计用时不同 / the zh and en time lines differ: {zh} vs {en}"]
    return []


def _marker_problems(source):
    lines = source.splitlines()
    begins = [k for k, l in enumerate(lines) if l.strip() == SOLUTION_BEGIN]
    ends = [k for k, l in enumerate(lines) if l.strip() == SOLUTION_END]
    if not begins or len(begins) != len(ends) or any(b >= e for b, e in zip(begins, ends)):
        return [f"matching {SOLUTION_BEGIN} / {SOLUTION_END} lines"]
    if any(not lines[b].startswith((" ", "\t")) for b in begins):
        return [
            "the answer inside a function (indented markers), so the student copy's check "
            "fails with NotImplementedError"
        ]
    return []


def _prose(text):
    """Markdown without fenced code and display math (where a line break is not a space)."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)


def check_text(cells, name):
    """Chinese paragraphs on one line, no control characters, lines short enough to read."""
    problems = []
    for i, cell in enumerate(cells):
        where = f"{name}: 单元格 / cell {i + 1}"
        if cell.cell_type == "markdown":
            if CONTROL.search(cell.source):
                bad = sorted({repr(c) for c in CONTROL.findall(cell.source)})
                problems.append(
                    f"{where}: markdown 中有控制字符 / control characters in markdown: "
                    f"{', '.join(bad)} (e.g. a \\t that ate a \\times)"
                )
            if "zh" in tags(cell):
                for m in CJK_BREAK.finditer(_prose(cell.source)):
                    problems.append(
                        f"{where}: 中文段落中间换行，显示为空格 / a line break between "
                        f"two Chinese characters renders as a space: {m.group()!r}; "
                        f"keep each Chinese paragraph on one line"
                    )
        elif cell.cell_type == "code":
            for k, line in enumerate(cell.source.splitlines(), 1):
                if len(line) > MAX_LINE:
                    problems.append(
                        f"{where}, 第 {k} 行 / line {k}: 代码行超过 {MAX_LINE} 个字符 / "
                        f"code line longer than {MAX_LINE} characters ({len(line)})"
                    )
    return problems


def check_outputs(cells, name):
    """Printed lines short enough to read in JupyterLab at 1366 px."""
    problems = []
    for i, cell in enumerate(cells):
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            for line in text.splitlines():
                if len(line) > MAX_LINE:
                    problems.append(
                        f"{name}: 单元格 / cell {i + 1}: 输出行超过 {MAX_LINE} 个字符 / "
                        f"printed line longer than {MAX_LINE} characters: {line[:60]!r}..."
                    )
    return problems


def check_images(cells, name, root):
    """Every image a markdown cell shows exists inside ``root`` (what ``jupyter lab`` serves)."""
    problems = []
    for i, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        for ref in IMAGE.findall(cell.source):
            if "://" in ref or ref.startswith("attachment:"):
                continue
            target = (Path(root) / "notebooks" / ref).resolve()
            if not target.is_file() or Path(root).resolve() not in target.parents:
                problems.append(
                    f"{name}: 单元格 / cell {i + 1}: 图片不存在或在仓库之外 / image missing "
                    f"or outside the repository: {ref}"
                )
    return problems


def check_sync(py_path):
    """The ``.ipynb`` is a valid notebook holding the ``.py``'s cells, every code cell executed,
    built from the current code."""
    ipynb = py_path.with_suffix(".ipynb")
    fix = f"运行 / run: python -m fmnist_core build {py_path.name}"
    if not ipynb.exists():
        return [f"{py_path.name}: 缺少 / missing {ipynb.name}; {fix}"]
    nb = read_ipynb(ipynb)
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as e:
        return [f"{ipynb.name}: 不是有效的笔记本 / not a valid notebook: {e.message}; {fix}"]
    if nb.metadata.get("kernelspec") != KERNELSPEC:
        return [
            f"{ipynb.name}: kernelspec 与 JupyterLab 写的不同，打开即显示已修改 / kernelspec differs "
            f"from what JupyterLab writes (the lesson would open as modified); {fix}"
        ]
    try:  # cell types, sources and the metadata the .py keeps (tags, nbgrader, kernelspec)
        compare_notebooks(nb, read_py(py_path), fmt="py:percent")
    except NotebookDifference as e:
        first = str(e).strip().splitlines()[0].strip().rstrip(":")
        return [
            f"{py_path.name}: .py 与 .ipynb 不同步 / .py and .ipynb out of sync ({first}); {fix}"
        ]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.strip() and cell.execution_count is None:
            return [f"{ipynb.name}: 单元格 {i + 1} 未执行 / cell {i + 1} not executed; {fix}"]
    if nb.metadata.get("fmnist_core") != provenance(py_path):
        return [
            f"{ipynb.name}: 输出来自旧的代码（课程代码或 fmnist_core 已改） / outputs built from "
            f"older code (the lesson's code or fmnist_core changed since); {fix}"
        ]
    return check_outputs(nb.cells, ipynb.name)


def lint(root):
    """All problems found in the lessons under ``root``, as readable lines (empty: all good)."""
    sources = lesson_sources(root)
    if not sources:
        return [f"没有找到课程 / no lessons found in {Path(root) / 'notebooks'}"]
    problems = []
    for src in sources:
        cells = read_py(src).cells
        problems += (
            check_pairs(cells, src.name)
            + check_nbgrader(cells, src.name)
            + check_exercises(cells, src.name)
            + check_time(cells, src.name)
            + check_text(cells, src.name)
            + check_images(cells, src.name, root)
            + check_sync(src)
        )
    return problems
