"""The classroom: the nbgrader course and student copies leak no answer, lock their checks, and
grade right with nbgrader itself (three simulated students on two lessons)."""

import re
import sys

import nbformat
import pytest

from fmnist_core.tooling import classroom, lessons

SOLUTION_CODE = re.compile(r"### BEGIN SOLUTION|### END SOLUTION|BEGIN HIDDEN TESTS")


def _answers(root, stem):
    """Each answer of a lesson's teacher copy: the code between the solution markers."""
    nb = lessons.read_py(root / "notebooks" / f"{stem}.py")
    return [
        a.strip()
        for c in nb.cells
        for a in re.findall(r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", c.source, re.S)
    ]


@pytest.mark.parametrize("nbgrader_installed", [True, False])
def test_student_copies_are_locked_and_hold_no_answer(
    root, tmp_path, monkeypatch, nbgrader_installed
):
    if nbgrader_installed:
        pytest.importorskip("nbgrader")
    else:
        monkeypatch.setitem(sys.modules, "nbgrader.preprocessors", None)  # import fails
    written = classroom.make_student(root, tmp_path)
    assert len(written) == len(lessons.lesson_sources(root))
    for path in written:
        nb = nbformat.read(path, 4)
        assert "jupytext" not in nb.metadata and "fmnist_core" not in nb.metadata
        text = path.read_text(encoding="utf-8")
        assert not SOLUTION_CODE.search(text)
        for answer in _answers(root, path.stem):
            assert answer not in text, f"{path.name}: an answer reached the student copy"
        checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert checks
        for cell in checks:
            assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
            if cell.metadata.get("nbgrader", {}).get("solution"):
                assert "raise NotImplementedError()" in cell.source
                assert "在这里写你的答案 / YOUR CODE HERE" in cell.source


def test_course_layout_config_figures_links_and_hidden_tests(root, tmp_path):
    written = classroom.make_course(root, tmp_path, lessons=["00", "01"])
    assert [p.parent.name for p in written] == ["00_data", "01_model"]
    config = (tmp_path / "nbgrader_config.py").read_text(encoding="utf-8")
    for setting in ('"*.py"', "c.Execute.timeout = 600", "YOUR CODE HERE", "FMNIST_GRADING"):
        assert setting in config
    for path in written:
        assert sorted(p.name for p in path.parent.iterdir() if p.suffix == ".py") == []
        nb = nbformat.read(path, 4)
        assert "jupytext" not in nb.metadata
        md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "../images/" not in md
        for ref in re.findall(r"\]\((images/[^)\s]+)\)", md):
            assert (path.parent / ref).is_file()
        for ref in re.findall(r"\]\(([^)\s]+\.ipynb)\)", md):
            assert (path.parent / ref).resolve().is_file(), ref  # links inside the course work
        checks = [
            c
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")
        ]
        assert checks and all(
            "### BEGIN HIDDEN TESTS" in c.source and "reload" in c.source for c in checks
        )
    with pytest.raises(ValueError, match="no lesson"):
        classroom.make_course(root, tmp_path / "none", lessons=["99"])


def test_check_hints_fit_nbgraders_width_and_hide_the_checker_frames():
    from fmnist_core.checks import WIDTH, CheckFailed, checker

    long = "很长的提示" * 30
    err = CheckFailed(long, "a long hint " * 20)
    assert all(len(line) <= WIDTH for line in str(err).splitlines())
    assert str(err).replace("\n  ", "").count(long) == 1  # wrapped, nothing lost

    @checker
    def ex1_demo(answer):
        raise CheckFailed("错", "wrong")

    with pytest.raises(CheckFailed) as info:
        ex1_demo(1)
    frames = [tb.tb_frame.f_code.co_name for tb in _walk(info.value.__traceback__)]
    assert "ex1_demo" not in frames[1:]  # the checker's insides are cut from the traceback
    shown = info.value._render_traceback_()  # what Jupyter and nbgrader's feedback show
    assert shown[1:] == str(info.value).splitlines() and not any("File" in s for s in shown)


def _walk(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


@pytest.mark.slow
@pytest.mark.parametrize("lesson", ["01_model", "02_autograd"])  # all: benchmarks/grading_time.py
def test_nbgrader_release_autograde_and_feedback(root, tmp_path, lesson):
    pytest.importorskip("nbgrader")
    import classroom_flow as flow

    course = flow.course_with(root, tmp_path / "course", [lesson])
    flow.nbgrader(course, "generate_assignment", lesson, "--force")
    released = list((course / "release").rglob("*"))
    assert any(p.name == f"{lesson}.ipynb" for p in released)
    for path in released:
        if path.is_file() and path.suffix in (".ipynb", ".py", ".md", ".txt"):
            text = path.read_text(encoding="utf-8")
            assert not SOLUTION_CODE.search(text), path
            for answer in _answers(root, lesson):
                assert answer not in text, f"{path}: an answer was released"
    source = nbformat.read(course / "source" / lesson / f"{lesson}.ipynb", 4)
    release = nbformat.read(course / "release" / lesson / f"{lesson}.ipynb", 4)
    students = flow.submissions(source, release)
    results = flow.grade(course, lesson, students)
    total = results["teacher"][1]
    assert total > 0
    for student, (_, expected_failures) in students.items():
        score, max_score, failed, _ = results[student]
        assert failed == expected_failures, (student, failed, expected_failures)
    assert results["unchanged"][0] == 0
    assert results["teacher"][0] == total
    lost = total - results["one_wrong"][0]
    assert 0 < lost < total
    assert results["patches_checker"][0] == results["one_wrong"][0]
    feedback = (course / "feedback" / "one_wrong" / lesson / f"{lesson}.html").read_text(
        encoding="utf-8"
    )
    assert "✗" in feedback and "fmnist_core/checks" not in feedback  # the hint, no checker code


@pytest.mark.slow
def test_the_wheel_for_students_holds_the_package_and_no_lesson(root, tmp_path):
    import subprocess
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(root)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("fmnist_core-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "fmnist_core/checks/lesson05.py" in names
    for table in ("capstone_ablation", "optim_compare"):  # lessons 10, 13 and 14 read them
        assert f"fmnist_core/{table}.csv" in names and f"fmnist_core/{table}_splits.csv" in names
    assert all(n.startswith(("fmnist_core/", "fmnist_core-")) for n in names), names
    assert not any(n.endswith(".ipynb") or "notebooks/" in n for n in names)


def test_readme_tells_a_teacher_the_safe_way(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 课堂使用 / In the classroom")[1].split("\n## ")[0]
    for step in (
        'pip install -c requirements-lock.txt -e ".[dev,teacher]"',
        "python -m fmnist_core course",
        "nbgrader generate_assignment",
        "nbgrader autograde",
        "nbgrader generate_feedback",
        "python -m fmnist_core data",
        "FMNIST_GRADING",
        "pip wheel --no-deps -w dist .",
        "benchmarks/grading_time.py",
    ):
        assert step in section, step
    assert "process `notebooks/`" not in readme and "never point nbgrader at it" in section
