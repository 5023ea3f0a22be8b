"""nbgrader itself on a course made by ``python -m fmnist_core course``: release, three or four
simulated students, autograde, feedback. Used by tests/test_classroom.py and
benchmarks/grading_time.py."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from fmnist_core.tooling.classroom import make_course

NBGRADER = [sys.executable, "-m", "nbgrader"]


def nbgrader(course, *args):
    """Run one nbgrader command in the course folder; returns (seconds, log)."""
    start = time.perf_counter()
    done = subprocess.run(
        [*NBGRADER, *args],
        cwd=course,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    log = done.stdout + done.stderr
    if done.returncode:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{log[-3000:]}")
    return time.perf_counter() - start, log


def _solutions(nb):
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def _checked_functions(cell):
    return re.findall(r"\bcheck\.(\w+)\(", cell.source)


def submissions(source, release):
    """The simulated students of one lesson: name -> (notebook, grade ids expected to fail).

    - ``unchanged``: the release as it is (every check fails);
    - ``teacher``: the teacher's notebook (nothing fails);
    - ``one_wrong``: every answer right except the first function answer, which returns twice
      the right value;
    - ``patches_checker``: the same wrong answer, and the answer cell replaces the checker.
    """
    right = _solutions(source)
    graded = [
        c
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade")
        and not c.metadata["nbgrader"].get("solution")
    ]
    filled = nbformat.from_dict(release)
    for cell in _solutions(filled).values():
        cell.source = right[cell.metadata["nbgrader"]["grade_id"]].source
    first = next(c for c in _solutions(filled).values() if re.search(r"^def \w+\(", c.source, re.M))
    name = re.search(r"^def (\w+)\(", first.source, re.M).group(1)
    checks = [c for c in graded if re.search(rf"\b{name}\b", c.source)]
    failing = {c.metadata["nbgrader"]["grade_id"] for c in checks}
    wrong = nbformat.from_dict(filled)
    wrong_cell = next(c for c in wrong.cells if c.source == first.source)
    wrong_cell.source += (
        f"\n\n_right_{name} = {name}\n\n\ndef {name}(*args, **kwargs):\n"
        f"    return 2 * _right_{name}(*args, **kwargs)\n"
    )
    patched = nbformat.from_dict(wrong)
    patch_cell = next(c for c in patched.cells if c.source == wrong_cell.source)
    for function in {f for c in checks for f in _checked_functions(c)}:
        patch_cell.source += f"\ncheck.{function} = lambda *args, **kwargs: print('✓')\n"
    every = {c.metadata["nbgrader"]["grade_id"] for c in graded}
    return {
        "unchanged": (release, every),
        "teacher": (source, set()),
        "one_wrong": (wrong, failing),
        "patches_checker": (patched, failing),
    }


def grade(course, lesson, students):
    """Submit, autograde and make feedback; returns {student: (score, max, failed ids, secs)}."""
    from nbgrader.api import Gradebook

    results = {}
    for student, (nb, _) in students.items():
        folder = Path(course) / "submitted" / student / lesson
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{lesson}.ipynb")
        seconds, _ = nbgrader(course, "autograde", lesson, "--student", student, "--force")
        with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
            sub = gb.find_submission_notebook(lesson, lesson, student)
            failed = {g.name for g in sub.grades if g.score < g.max_score}
            results[student] = (sub.score, sub.max_score, failed, seconds)
    nbgrader(course, "generate_feedback", lesson, "--force")
    return results


def course_with(root, out, lessons):
    """A fresh course in ``out`` with ``lessons`` generated for release."""
    shutil.rmtree(out, ignore_errors=True)
    make_course(root, out, lessons=lessons)
    return out
