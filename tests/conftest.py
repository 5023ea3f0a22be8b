import os
import sys
from pathlib import Path

import pytest

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


@pytest.fixture
def root():
    return ROOT


@pytest.fixture(autouse=True)
def _no_gpu_in_tests(monkeypatch):
    # unit tests compare numbers made on the CPU / 单元测试在 CPU 上比较数字
    monkeypatch.setenv("FMNIST_DEVICE", os.environ.get("FMNIST_DEVICE", "cpu"))
