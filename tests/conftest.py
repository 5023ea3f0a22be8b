import os
import sys
from pathlib import Path

import pytest

from fmnist_core.checks import WIDTH, CheckFailed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))  # tests/classroom_flow.py, shared with benchmarks/


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: runs with `pytest --nbval` (minutes), not with plain `pytest`"
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--nbval", default=False):
        return
    skip = pytest.mark.skip(
        reason="slow: runs with `pytest --nbval` / 慢测试：用 pytest --nbval 运行"
    )
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _squeeze(text):
    return "".join(text.split())  # a wrapped hint reads the same as the hint on one line


def fails_with(checker, answer, *hints):
    """The checker rejects ``answer`` with each hint (a string, or a (zh, en) pair from a
    checker's table) in its message, every line within nbgrader's width. Returns the message
    with wrapped lines joined again."""
    with pytest.raises(CheckFailed) as info:
        checker(answer)
    message = str(info.value)
    too_long = [line for line in message.splitlines() if len(line) > WIDTH]
    assert not too_long, too_long  # nbgrader cuts longer lines of a failure message
    for hint in hints:
        for text in (hint,) if isinstance(hint, str) else hint:
            assert _squeeze(text) in _squeeze(message), message
    return message.replace("\n  ", " ")


@pytest.fixture
def root():
    return ROOT


@pytest.fixture(autouse=True)
def _no_gpu_in_tests(monkeypatch):
    # unit tests compare numbers made on the CPU / 单元测试在 CPU 上比较数字
    monkeypatch.setenv("FMNIST_DEVICE", os.environ.get("FMNIST_DEVICE", "cpu"))
