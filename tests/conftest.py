import importlib.metadata
import os
import re
import sys
from pathlib import Path

import pytest

from fmnist_core.checks import WIDTH, CheckFailed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))  # tests/classroom_flow.py, shared with benchmarks/
LOCK = ROOT / "requirements-lock.txt"  # the reference environment the stored outputs were made in
LOCKED = ("torch", "torchvision")


def lock_pins(lock=LOCK):
    """Every ``name==version`` line of the lock file: ``{normalized name: [(version, marker)]}``
    (a package pinned per Python version has one entry per marker)."""
    pins = {}
    for line in Path(lock).read_text(encoding="utf-8").splitlines():
        m = re.match(r"([A-Za-z0-9_.-]+)==([^\s;]+)(?:\s*;\s*(.*))?", line)
        if m:
            name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
            pins.setdefault(name, []).append((m.group(2), m.group(3)))
    return pins


def locked_versions(lock=LOCK):
    """``{"torch": "2.14.1", "torchvision": "0.29.1"}`` as pinned in the lock file."""
    pins = lock_pins(lock)
    return {name: pins[name][0][0] for name in LOCKED if name in pins}


def off_lock(lock=LOCK):
    """One bilingual line when the installed torch or torchvision is not the locked release (a
    local build tag such as ``+cpu`` counts as the same release), else ``""``."""
    pins = locked_versions(lock)
    installed = {name: importlib.metadata.version(name) for name in pins}
    if all(installed[n].split("+")[0] == pins[n] for n in pins):
        return ""
    have = ", ".join(f"{n} {v}" for n, v in installed.items())
    want = ", ".join(f"{n} {v}" for n, v in pins.items())
    return (
        f"注意：已安装 {have}，与锁定的 {want} 不同，保存的输出可能对不上；"
        "检查环境能否运行课程请用 pytest --nbval-lax / "
        f"note: installed {have} differ from the locked {want}, so stored outputs may not "
        "match; to check that your setup runs the course use `pytest --nbval-lax`"
    )


def pytest_configure(config):
    """A pytest-xdist worker and the kernels nbval starts from it use one torch thread, so the two
    workers do not fight over two cores (the stored outputs do not depend on the thread count:
    ``benchmarks/claims_spread.py`` runs the lessons at 1 and 2 threads)."""
    config.addinivalue_line(
        "markers", "slow: runs with `pytest --nbval` (minutes), not with plain `pytest`"
    )
    if os.environ.get("PYTEST_XDIST_WORKER") and "OMP_NUM_THREADS" not in os.environ:
        os.environ["OMP_NUM_THREADS"] = "1"  # inherited by the kernels started after this

        import torch

        torch.set_num_threads(1)


def pytest_report_header(config):
    return off_lock() or None


def pytest_terminal_summary(terminalreporter):
    line = off_lock()
    if line:
        terminalreporter.write_line(line, yellow=True)


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
