"""The stored outputs do not depend on the CPU's vector unit or on the number of torch threads.

The lessons are built on one machine at one thread (CONTRIBUTING). A learner's laptop may have
another vector unit (AVX2 instead of AVX-512, or none that ATen uses) and use several threads,
which changes the order of floating-point sums. This test runs two lessons strictly, as
``pytest --nbval`` does, with ATen held to AVX2 and then to its plain code, at 3 threads:
every compared output must still match. Lesson 02 (autograd) prints gradients, Jacobians and
finite differences; lesson 05 (regression losses) prints losses, fitted lines and their
from-scratch checks. It runs with ``pytest --nbval`` (slow), a minute or two on a quiet machine.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ["02_autograd.ipynb", "05_losses_regression.ipynb"]


def capability(env):
    """The vector unit ATen uses under ``env`` (AVX2, AVX512, DEFAULT, ...)."""
    code = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


@pytest.mark.slow
@pytest.mark.parametrize("unit", ["avx2", "default"])
def test_stored_outputs_hold_on_another_vector_unit_and_thread_count(unit):
    env = {**os.environ, "ATEN_CPU_CAPABILITY": unit, "OMP_NUM_THREADS": "3"}
    env.pop("PYTEST_XDIST_WORKER", None)
    have = capability(env)
    if unit == "avx2" and have != "AVX2":
        pytest.skip(f"这台机器的 CPU 没有 AVX2 / this CPU has no AVX2 (ATen uses {have})")
    assert have == unit.upper(), f"ATEN_CPU_CAPABILITY={unit} was not honoured: {have}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "-n",
            "0",
            "-p",
            "no:cacheprovider",
            "-q",
            *(str(ROOT / "notebooks" / name) for name in LESSONS),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    tail = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, f"ATen {have}, 3 threads:\n{tail}"
    assert " passed" in result.stdout and " failed" not in result.stdout, tail
