"""The course tooling: lint, student copies, one-language export, figures."""

import importlib
import os
import re
import shutil
import sys

import jupytext
import nbformat
import pytest

from fmnist_core.__main__ import main
from fmnist_core.tooling import classroom, lessons, lint

HEADER = """# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,nbgrader,-all
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---
"""
GOOD = (
    HEADER
    + """
# %% [markdown] tags=["zh"]
# # 标题
#
# 预计用时：约 30 分钟。
#
# $$y = x^2$$

# %% [markdown] tags=["en"]
# # Title
#
# Time: about 30 min.
#
# $$y = x^2$$

# %%
x = 3
print(x * 2)

# %% nbgrader={"grade": false, "grade_id": "t_ex1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-implement"]
def square(v):
    ### BEGIN SOLUTION
    answer_marker = v * v
    return answer_marker
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "t_ex1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert square(x) == 9
print("ok")

# %% nbgrader={"grade": false, "grade_id": "t_ex2", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["exercise-predict"]
def predict_cube():
    ### BEGIN SOLUTION
    return 27
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "t_ex2_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert predict_cube() == x**3
"""
)


def make_course(tmp_path, source=GOOD, execute=False):
    """A one-lesson course in tmp_path, its .ipynb in sync (executed for real or marked as run)."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    py = tmp_path / "notebooks" / "00_test.py"
    py.write_text(source)
    if execute:
        lessons.build([py])
    else:
        nb = jupytext.read(py)
        for k, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                cell.execution_count = k
        jupytext.write(lessons.stamp(nb, py), py.with_suffix(".ipynb"))
    return py


def test_lint_passes_on_a_good_lesson(tmp_path):
    make_course(tmp_path)
    assert lint.lint(tmp_path) == []


def test_lint_catches_a_missing_en_cell(tmp_path):
    source = GOOD.replace(
        '# %% [markdown] tags=["en"]\n# # Title\n#\n# Time: about 30 min.\n#\n# $$y = x^2$$\n', ""
    )
    make_course(tmp_path, source)
    problems = lint.lint(tmp_path)
    assert any("not followed by its en cell" in p for p in problems), problems


def test_lint_catches_different_formulas(tmp_path):
    source = GOOD.replace("min.\n#\n# $$y = x^2$$", "min.\n#\n# $$y = x^3$$")
    make_course(tmp_path, source)
    problems = lint.lint(tmp_path)
    assert any("display formulas" in p for p in problems), problems


def test_lint_catches_different_headings(tmp_path):
    source = GOOD.replace("# # Title", "# ## Title")
    make_course(tmp_path, source)
    assert any("headings" in p for p in lint.lint(tmp_path))


def test_lint_catches_an_unsynced_pair(tmp_path):
    py = make_course(tmp_path)
    py.write_text(py.read_text().replace("print(x * 2)", "print(x * 3)"))
    problems = lint.lint(tmp_path)
    assert any("out of sync" in p and "build" in p for p in problems), problems


def test_lint_catches_an_unexecuted_notebook(tmp_path):
    py = make_course(tmp_path)
    nb = nbformat.read(py.with_suffix(".ipynb"), 4)
    nb.cells[2].execution_count = None
    nbformat.write(nb, py.with_suffix(".ipynb"))
    assert any("not executed" in p for p in lint.lint(tmp_path))


@pytest.mark.parametrize(
    "change, expected",
    [
        ('"locked": true, "points": 1', "must be locked"),  # the check cell unlocked
        ('"grade_id": "t_ex1_check"', "unique grade_id"),  # a duplicated id
        ('"schema_version": 3, "solution": true', "schema_version 3"),
        ("    ### END SOLUTION\n", "matching"),
        (
            "def square(v):\n    ### BEGIN SOLUTION\n    answer_marker = v * v\n    return answer_marker\n    ### END SOLUTION",
            "inside a function",
        ),
    ],
)
def test_lint_catches_bad_nbgrader_cells(tmp_path, change, expected):
    bad = {
        '"locked": true, "points": 1': '"locked": false, "points": 1',
        '"grade_id": "t_ex1_check"': '"grade_id": "t_ex1"',
        '"schema_version": 3, "solution": true': '"schema_version": 2, "solution": true',
        "    ### END SOLUTION\n": "",
    }.get(change, "### BEGIN SOLUTION\ndef square(v):\n    return v * v\n### END SOLUTION")
    make_course(tmp_path, GOOD.replace(change, bad))
    problems = lint.lint(tmp_path)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    "change, expected",
    [
        (' tags=["exercise-predict"]', "exactly one kind tag"),  # an untagged exercise
        ('tags=["exercise-predict"]', "exactly one kind tag"),  # an unknown kind
        ('tags=["exercise-implement"]', "exactly one kind tag"),  # two kinds on one exercise
        ("t_ex2", "at least 2"),  # one exercise only
    ],
)
def test_lint_wants_two_exercises_each_tagged_with_its_kind(tmp_path, change, expected):
    bad = {
        ' tags=["exercise-predict"]': "",
        'tags=["exercise-predict"]': 'tags=["exercise-guess"]',
        'tags=["exercise-implement"]': 'tags=["exercise-implement", "exercise-debug"]',
    }.get(change)
    source = (
        GOOD.replace(change, bad)
        if bad is not None
        else GOOD.split('\n# %% nbgrader={"grade": false, "grade_id": "t_ex2"')[0]
    )
    make_course(tmp_path, source)
    problems = lint.lint(tmp_path)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    "change, expected",
    [
        ("# 预计用时：约 30 分钟。", "state the time"),  # no time line in zh
        ("# Time: about 30 min.", "state the time"),  # none in en
        ("# Time: about 30 min.", "differ"),  # the two disagree
    ],
)
def test_lint_wants_the_same_time_line_in_both_languages(tmp_path, change, expected):
    bad = "# Time: about 40 min, plus about 10 min optional." if expected == "differ" else "#"
    make_course(tmp_path, GOOD.replace(change, bad))
    problems = lint.lint(tmp_path)
    assert any(expected in p for p in problems), problems
    assert lessons.lesson_time(jupytext.reads(GOOD, "py:percent").cells, "en") == (30, 0)


def test_lint_cli_exit_codes(tmp_path, monkeypatch, capsys):
    make_course(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["lint"]) == 0
    (tmp_path / "notebooks" / "00_test.ipynb").unlink()
    assert main(["lint"]) == 1
    assert "course lint failed" in capsys.readouterr().out


def test_lint_passes_on_the_repository(root):
    assert lint.lint(root) == []


def test_student_copy_has_no_answers_and_checks_fail_with_not_implemented(tmp_path):
    from nbclient import NotebookClient

    make_course(tmp_path, execute=True)
    (path,) = classroom.make_student(tmp_path, tmp_path / "out")
    text = path.read_text()
    assert "answer_marker" not in text and "BEGIN SOLUTION" not in text
    nb = nbformat.read(path, 4)
    assert all(
        c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code"
    )
    assert nb.cells[3].metadata["nbgrader"]["solution"] is True  # nbgrader metadata kept
    client = NotebookClient(nb, kernel_name="python3", allow_errors=True)
    client.execute()
    errors = {
        i: o.ename
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    }
    assert errors == {4: "NotImplementedError", 6: "NotImplementedError"}  # both check cells


def test_student_copies_of_the_lessons_hold_no_answer_code(root, tmp_path):
    written = classroom.make_student(root, tmp_path)
    assert written and (tmp_path / "images").is_dir()
    for path in written:
        teacher = lessons.read_py(root / "notebooks" / path.with_suffix(".py").name)
        student = nbformat.read(path, 4)
        assert len(student.cells) == len(teacher.cells)
        for t, s in zip(teacher.cells, student.cells):
            if t.cell_type == "code":
                assert s.outputs == []
            if t.get("metadata", {}).get("nbgrader", {}).get("solution"):
                answer = re.search(
                    r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", t.source, re.S
                ).group(1)
                assert answer.strip() not in s.source
                assert "raise NotImplementedError()" in s.source


def test_student_copy_of_lesson_00_runs_and_its_checks_fail(root, tmp_path):
    """Every cell of the student copy runs, except the check cells: they raise NotImplementedError."""
    from nbclient import NotebookClient

    classroom.make_student(root, tmp_path)
    nb = nbformat.read(tmp_path / "notebooks" / "00_data.ipynb", 4)
    # the long demonstrations (training, timing) are the teacher's code unchanged, and nbval runs
    # them; here every other cell runs / 长的演示与教师版相同，由 nbval 运行
    long = [c for c in nb.cells if "grading-skip" in c.get("metadata", {}).get("tags", [])]
    assert long and not any(c.get("metadata", {}).get("nbgrader") for c in long)
    nb.cells = [c for c in nb.cells if c not in long]
    NotebookClient(
        nb,
        kernel_name="python3",
        allow_errors=True,
        timeout=600,
        resources={"metadata": {"path": str(tmp_path / "notebooks")}},
    ).execute()
    checks = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert len(checks) >= 3
    for cell in nb.cells:
        errors = [o.ename for o in cell.get("outputs", []) if o.output_type == "error"]
        assert errors == (["NotImplementedError"] if cell in checks else []), cell.source[:80]


def test_export_holds_one_language_only(root, tmp_path):
    for lang, other in (("zh", "en"), ("en", "zh")):
        written = classroom.make_export(root, lang, tmp_path / lang)
        assert written
        for path in written:
            nb = nbformat.read(path, 4)
            md = [c for c in nb.cells if c.cell_type == "markdown"]
            assert md and all(
                lang in c.metadata["tags"] and other not in c.metadata["tags"] for c in md
            )
            code_in = [
                c.source
                for c in lessons.read_py(root / "notebooks" / path.with_suffix(".py").name).cells
                if c.cell_type == "code"
            ]
            assert [c.source for c in nb.cells if c.cell_type == "code"] == code_in
    with pytest.raises(ValueError):
        classroom.make_export(root, "fr", tmp_path / "fr")


def test_every_image_a_lesson_shows_is_served_by_the_readme_command(root):
    # the README opens JupyterLab at the repository root: every image must resolve inside it
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "jupyter lab notebooks/" not in readme and "jupyter lab\n" in readme
    found = 0
    for src in lessons.lesson_sources(root):
        for cell in lessons.read_py(src).cells:
            if cell.cell_type == "markdown":
                for ref in lint.IMAGE.findall(cell.source):
                    found += 1
                    target = (src.parent / ref).resolve()
                    assert target.is_file(), f"{src.name}: {ref} missing"
                    assert root.resolve() in target.parents, f"{src.name}: {ref} outside the root"
    assert found >= 3


def _zh_cell(text, en="# Text."):
    return f'# %% [markdown] tags=["zh"]\n{text}\n\n# %% [markdown] tags=["en"]\n{en}\n\n'


@pytest.mark.parametrize(
    "text, expected",
    [
        ("# 第一行\n# 第二行", "line break between two Chinese characters"),
        ("# 公式 $a\tb$", "control characters"),
    ],
)
def test_lint_catches_bad_chinese_text(tmp_path, text, expected):
    make_course(tmp_path, GOOD.replace("\n# %%\nx = 3", "\n" + _zh_cell(text) + "# %%\nx = 3"))
    problems = lint.lint(tmp_path)
    assert any(expected in p for p in problems), problems


def test_lint_allows_line_breaks_in_english_and_inside_display_math(tmp_path):
    math = "# $$\n# \\text{甲}\n# \\text{乙}\n# $$"
    cell = _zh_cell("# 一段。\n#\n" + math, "# One\n# paragraph.\n#\n" + math)
    make_course(tmp_path, GOOD.replace("\n# %%\nx = 3", "\n" + cell + "# %%\nx = 3"))
    assert lint.lint(tmp_path) == []


def test_lint_catches_long_code_and_printed_lines(tmp_path):
    make_course(tmp_path, GOOD.replace("x = 3\n", "x = 3  # " + "x" * 100 + "\n"))
    assert any("code line longer than 100" in p for p in lint.lint(tmp_path))
    shutil.rmtree(tmp_path / "notebooks")
    py = make_course(tmp_path)
    nb = nbformat.read(py.with_suffix(".ipynb"), 4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="y" * 101 + "\n")]
    nbformat.write(nb, py.with_suffix(".ipynb"))
    assert any("printed line longer than 100" in p for p in lint.lint(tmp_path))


def test_lint_catches_stale_invalid_and_wrongly_labelled_notebooks(tmp_path):
    py = make_course(tmp_path)
    ipynb = py.with_suffix(".ipynb")
    nb = nbformat.read(ipynb, 4)
    nb.metadata["fmnist_core"]["package"] = "0" * 16  # built before fmnist_core changed
    nbformat.write(nb, ipynb)
    assert any("older code" in p for p in lint.lint(tmp_path))
    nb.metadata["fmnist_core"] = lessons.provenance(py)
    nb.metadata["kernelspec"]["display_name"] = "Python 3"
    nbformat.write(nb, ipynb)
    assert any("kernelspec" in p for p in lint.lint(tmp_path))
    nb.metadata["kernelspec"] = dict(lessons.KERNELSPEC)
    nb.cells[2]["outputs"] = [{"output_type": "stream"}]  # no name, no text
    ipynb.write_text(
        nbformat.writes(nb, validate=False) if False else __import__("json").dumps(nb),
        encoding="utf-8",
    )
    assert any("not a valid notebook" in p for p in lint.lint(tmp_path))


def test_lint_catches_an_image_outside_the_repository(tmp_path):
    cell = '# %% [markdown] tags=["zh"]\n# ![图](../../x.png)\n\n# %% [markdown] tags=["en"]\n# ![fig](../../x.png)\n\n'
    make_course(tmp_path, GOOD.replace("\n# %%\nx = 3", "\n" + cell + "# %%\nx = 3"))
    assert any("outside the repository" in p for p in lint.lint(tmp_path))


def test_build_keeps_cell_ids_and_reruns_only_when_code_changes(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FMNIST_DEVICE", raising=False)
    py = make_course(tmp_path, execute=True)
    ipynb = py.with_suffix(".ipynb")
    ids = [c.id for c in nbformat.read(ipynb, 4).cells]
    assert lint.lint(tmp_path) == []
    py.write_text(py.read_text().replace("# # Title", "# # A title"))
    lessons.build([py])
    assert "code unchanged" in capsys.readouterr().out
    nb = nbformat.read(ipynb, 4)
    assert [c.id for c in nb.cells] == ids and nb.cells[2].outputs[0]["text"] == "6\n"
    device = 'import os\nprint(x * 5, os.environ.get("FMNIST_DEVICE"))'
    py.write_text(py.read_text().replace("print(x * 2)", device))
    lessons.build([py])
    nb = nbformat.read(ipynb, 4)
    assert "running" in capsys.readouterr().out and nb.cells[2].outputs[0]["text"] == "15 cpu\n"
    assert "FMNIST_DEVICE" not in os.environ  # the kernel's device, not this process's
    assert [c.id for c in nb.cells] == ids
    assert all("execution" not in c.metadata for c in nb.cells)
    assert lint.lint(tmp_path) == []


def test_figures_are_drawn(tmp_path):
    from fmnist_core.tooling.figures import FIGURES, make_images

    written = make_images(tmp_path)
    assert sorted(p.name for p in written) == sorted(FIGURES)
    assert all(p.stat().st_size > 10_000 for p in written)


def _without(monkeypatch, *modules):
    """An install that lacks ``modules``: importing them fails, and the tooling imports afresh."""
    import fmnist_core.tooling as tooling

    for name in [m for m in sys.modules if m.startswith("fmnist_core.tooling.")]:
        monkeypatch.delitem(sys.modules, name)
        short = name.rpartition(".")[2]
        if hasattr(tooling, short):
            monkeypatch.setattr(tooling, short, getattr(tooling, short))  # restored afterwards
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize(
    "argv, missing, install",
    [
        (["student", "out"], "nbformat", '".[teacher]"'),
        (["export", "--lang", "zh", "out"], "nbformat", '".[teacher]"'),
        (["course", "out"], "nbformat", '".[teacher]"'),
        (["lint"], "jupytext", '".[dev]"'),
        (["build", "00"], "nbclient", '".[dev]"'),
        (["site", "out"], "sphinx", '".[dev,site]"'),
    ],
)
def test_a_command_without_its_extra_names_the_install(
    tmp_path, monkeypatch, capsys, argv, missing, install
):
    make_course(tmp_path)
    monkeypatch.chdir(tmp_path)
    _without(monkeypatch, missing)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert (
        f"需要 {missing}" in err
        and f"needs {missing}" in err
        and f"pip install -e {install}" in err
    )
    assert not (tmp_path / "out").exists()


def test_teacher_commands_need_no_jupytext_and_images_needs_no_extra(monkeypatch):
    _without(monkeypatch, "jupytext")
    importlib.import_module("fmnist_core.tooling.classroom")  # student, export, course
    _without(monkeypatch, "jupytext", "nbformat", "nbclient")
    importlib.import_module("fmnist_core.tooling.figures")  # images
    importlib.import_module("fmnist_core.tooling.lessons")  # find_root, lesson_sources


def test_help_groups_the_commands_by_audience(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    heads = ["learners (any install)", 'teachers (pip install -e ".[teacher]")', "maintainers"]
    assert [out.index(h) for h in heads] == sorted(out.index(h) for h in heads)
    for group, commands in zip(out.split("\n\n")[2:], [["data"], ["student"], ["lint", "build"]]):
        assert all(f"\n  {c} " in group for c in commands), group
