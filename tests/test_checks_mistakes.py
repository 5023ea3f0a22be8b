"""Every anticipated mistake of every lesson, read from the checkers' own tables (``MISTAKES``):
passed to its checker, it fails with its own hint, each line within nbgrader's width."""

import importlib
import pkgutil
import re

import pytest
from conftest import fails_with

import fmnist_core.checks as checks

MODULES = [
    importlib.import_module(f"fmnist_core.checks.{m.name}")
    for m in pkgutil.iter_modules(checks.__path__)
    if m.name.startswith("lesson")
]
CASES = [
    pytest.param(module, exercise, mistake, id=f"{module.__name__[-8:]}.{exercise}[{i}]")
    for module in MODULES
    for exercise, table in getattr(module, "MISTAKES", {}).items()
    for i, mistake in enumerate(table)
]


@pytest.mark.parametrize("module, exercise, mistake", CASES)
def test_each_mistake_gets_its_own_hint(module, exercise, mistake):
    fails_with(getattr(module, exercise), mistake.answer, (mistake.zh, mistake.en))


def test_every_table_names_an_exercise_of_its_module():
    for module in MODULES:
        for exercise, table in getattr(module, "MISTAKES", {}).items():
            assert callable(getattr(module, exercise, None)), (module.__name__, exercise)
            assert table and all(isinstance(m, checks.Mistake) for m in table), exercise


def _unfinished(*args, **kwargs):
    raise NotImplementedError()  # what a student's copy holds before the answer is written


CHECKERS = [
    pytest.param(getattr(module, name), id=f"{module.__name__[-8:]}.{name}")
    for module in MODULES
    for name in sorted(vars(module))
    if re.match(r"ex\d+_", name)
]


@pytest.mark.parametrize("checker", CHECKERS)
def test_an_unfinished_answer_fails_loudly_in_its_check_cell(checker):
    # the checker never swallows the learner's exception: the check cell shows it
    with pytest.raises(NotImplementedError):
        checker(_unfinished)
