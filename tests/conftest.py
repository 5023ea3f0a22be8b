import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root():
    return ROOT


@pytest.fixture(autouse=True)
def _no_gpu_in_tests(monkeypatch):
    # unit tests compare numbers made on the CPU / 单元测试在 CPU 上比较数字
    monkeypatch.setenv("FMNIST_DEVICE", os.environ.get("FMNIST_DEVICE", "cpu"))
