"""Does the course run on another PyTorch than the locked one? Builds a throwaway venv and runs
``pytest --nbval-lax`` in it (every cell runs and every assert holds; outputs are not compared).

- ``floor``: the lowest version of every direct requirement that ``pyproject.toml`` allows
  (uv's ``--resolution lowest-direct``: torch 2.7.0, torchvision 0.22.0, matplotlib 3.7, ...);
- ``newest``: the newest releases on the index, ignoring the lock;
- ``lock``: ``requirements-lock.txt``, the reference environment (as ``.ci/run`` installs it).

Run it whenever the lock or a floor in ``pyproject.toml`` changes, and record the result in
``benchmarks/RESULTS.md``. It needs ``uv`` (``pip install uv``) and the network to PyPI; on Linux
the CUDA builds of torch take several GB in the venv. The data comes from ``FMNIST_MIRROR`` /
``FMNIST_DATA_DIR`` as for the lessons.

    python benchmarks/version_check.py floor                     # install, then the lax suite
    python benchmarks/version_check.py newest --venv /tmp/newest -- notebooks/12_losses_structured.ipynb
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTED = ["torch", "torchvision", "numpy", "matplotlib", "nbval", "nbgrader", "jupyterlab"]


def run(cmd, **kw):
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, **kw)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=["floor", "newest", "lock"])
    parser.add_argument("--venv", help="where to build it (default: a folder under the temp dir)")
    parser.add_argument("--no-install", action="store_true", help="reuse the venv as it is")
    parser.add_argument("--install-only", action="store_true", help="build the venv, run nothing")
    parser.add_argument("pytest_args", nargs="*", help="after --: what to run (default: all)")
    args = parser.parse_args(argv)
    uv = shutil.which("uv")
    if uv is None:
        sys.exit("需要 uv：pip install uv / this script needs uv: pip install uv")
    venv = Path(args.venv or Path(tempfile.gettempdir()) / f"fmnist-{args.target}")
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PIP_CONSTRAINT")}
    env["UV_PYTHON"] = str(python)

    start = time.perf_counter()
    if not args.no_install:
        run([uv, "venv", "--python", sys.executable, "--clear", venv], env=env, check=True)
        spec = ["-e", ".[dev,teacher]"]
        how = {
            "floor": ["--resolution", "lowest-direct"],
            "newest": ["--resolution", "highest"],
            "lock": ["-c", "requirements-lock.txt"],
        }[args.target]
        run([uv, "pip", "install", "--python", python, *how, *spec], env=env, check=True)
    installed = time.perf_counter() - start
    versions = subprocess.run(
        [
            python,
            "-c",
            "import importlib.metadata as m, sys; "
            "print(', '.join(f'{p} {m.version(p)}' for p in sys.argv[1:]))",
            *REPORTED,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"{args.target}: {versions} (installed in {installed:.0f} s)", flush=True)
    if args.install_only:
        return 0

    start = time.perf_counter()
    tests = run(
        [python, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", *args.pytest_args],
        env=env,
    )
    ran = time.perf_counter() - start
    print(f"{args.target}: {versions}")
    print(
        f"install {installed:.0f} s, pytest --nbval-lax {ran:.0f} s, exit code {tests.returncode}"
    )
    return tests.returncode


if __name__ == "__main__":
    sys.exit(main())
