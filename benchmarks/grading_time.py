"""Grading time per lesson with nbgrader itself, as a teacher's grading machine would see it.

For each lesson: make the course (``python -m fmnist_core course``), release it, and autograde
the simulated students of tests/classroom_flow.py (the release unchanged, the teacher's copy,
one wrong answer, one answer that patches the checker), one at a time; prints the seconds each
autograde took and the scores. The course's config sets grading mode (FMNIST_GRADING=1).

    python benchmarks/grading_time.py                      # every lesson, every student
    python benchmarks/grading_time.py --lessons 01 05 --students teacher
"""

import argparse
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import classroom_flow as flow  # noqa: E402

from fmnist_core.tooling.lessons import lesson_sources  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", help="e.g. 01 05_losses_regression (default: all)")
    parser.add_argument(
        "--students", nargs="*", default=["unchanged", "teacher", "one_wrong", "patches_checker"]
    )
    args = parser.parse_args(argv)
    lessons = [
        s.stem
        for s in lesson_sources(ROOT)
        if not args.lessons or any(s.stem.startswith(w) for w in args.lessons)
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for lesson in lessons:
            course = flow.course_with(ROOT, Path(tmp) / lesson, [lesson])
            flow.nbgrader(course, "generate_assignment", lesson, "--force")
            source = nbformat.read(course / "source" / lesson / f"{lesson}.ipynb", 4)
            release = nbformat.read(course / "release" / lesson / f"{lesson}.ipynb", 4)
            students = {
                k: v for k, v in flow.submissions(source, release).items() if k in args.students
            }
            results = flow.grade(course, lesson, students)
            for student, (score, total, failed, seconds) in results.items():
                ok = failed == students[student][1]
                rows.append((lesson, student, seconds, score, total, ok))
                print(
                    f"{lesson:26} {student:16} {seconds:6.1f} s  {score:g}/{total:g}"
                    f"  {'as expected' if ok else 'UNEXPECTED: ' + str(sorted(failed))}",
                    flush=True,
                )
    slowest = max(rows, key=lambda r: r[2])
    print(f"\nslowest autograde: {slowest[0]} / {slowest[1]}: {slowest[2]:.1f} s")
    return 0 if all(r[5] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
