"""The machine a class needs on one server (README, "On a shared server"), from what one student
costs here:

- the memory of one user's server: ``jupyter server`` with this environment's extensions
  (JupyterLab, nbgrader's), what ``jupyterhub-singleuser`` runs, idle after it started;
- the peak memory and the CPU seconds of one student's kernel running a lesson from top to
  bottom (the teacher's copy: a student who answered everything; not in grading mode;
  ``OMP_NUM_THREADS`` as the hub sets it), sampled every 0.2 s over the kernel and any
  DataLoader workers it starts (their resident sizes added up, so shared pages count twice:
  an upper bound);
- the seconds nbgrader takes to autograde one submission (tests/classroom_flow.py, grading mode,
  ``OMP_NUM_THREADS`` as for the kernels).

Then it extrapolates to a class (default 100 students). The extrapolation is arithmetic on these
measurements, not a measurement of a hundred users.

    python benchmarks/hub_size.py                       # lessons 01 and 03, a class of 100
    python benchmarks/hub_size.py --lessons 01 05 10 --students 60 --minutes 90
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import classroom_flow as flow  # noqa: E402

from fmnist_core.tooling.classroom import _plain  # noqa: E402
from fmnist_core.tooling.lessons import lesson_sources, read_ipynb  # noqa: E402

MB = 2**20


def _status(pid, field):
    """A ``/proc/<pid>/status`` field in bytes (VmRSS, VmHWM), 0 when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    m = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) * 1024 if m else 0


def _tree(pid):
    """``pid`` and every process below it."""
    children, found = {}, [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    for p in found:
        found += children.get(p, [])
    return found


def _cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def server_memory():
    """Resident memory of one idle ``jupyter server`` with this environment's extensions."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--ServerApp.port=0",
                "--ServerApp.token=hub-size",
                f"--ServerApp.root_dir={tmp}",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp,
        )
        try:
            for line in proc.stderr:
                if "is running at" in line or "http://127.0.0.1:" in line:
                    break
            time.sleep(3)
            rss = _status(proc.pid, "VmRSS")
            if not rss:
                raise RuntimeError("jupyter server stopped: " + proc.stderr.read()[-2000:])
            return rss
        finally:
            proc.terminate()
            proc.wait(30)


def kernel_cost(lesson, threads):
    """(peak resident bytes of the kernel and its workers, kernel CPU seconds, wall seconds) of
    one lesson run from top to bottom."""
    from nbclient import NotebookClient

    src = next(s for s in lesson_sources(ROOT) if s.stem.startswith(lesson))
    nb = _plain(read_ipynb(src.with_suffix(".ipynb")))
    env = {k: v for k, v in os.environ.items() if k != "FMNIST_GRADING"}
    env.update(OMP_NUM_THREADS=str(threads), FMNIST_DEVICE="cpu", MPLBACKEND="Agg")
    with tempfile.TemporaryDirectory() as tmp:
        client = NotebookClient(
            nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": tmp}}
        )
        peak, done = [0], threading.Event()
        start = time.perf_counter()
        with client.setup_kernel(env=env, cwd=tmp):
            pid = client.km.provisioner.process.pid

            def sample():
                while not done.wait(0.2):
                    peak[0] = max(peak[0], sum(_status(p, "VmRSS") for p in _tree(pid)))

            watcher = threading.Thread(target=sample, daemon=True)
            watcher.start()
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            done.set()
            watcher.join()
            peak[0] = max(peak[0], _status(pid, "VmHWM"))
            cpu = _cpu_seconds(pid)
        return peak[0], cpu, time.perf_counter() - start, src.stem


def grading_seconds(lesson):
    """Seconds of ``nbgrader autograde`` for the teacher's submission and the release unchanged."""
    stem = next(s.stem for s in lesson_sources(ROOT) if s.stem.startswith(lesson))
    with tempfile.TemporaryDirectory() as tmp:
        import nbformat

        course = flow.course_with(ROOT, Path(tmp) / "course", [stem])
        flow.nbgrader(course, "generate_assignment", stem, "--force")
        source = nbformat.read(course / "source" / stem / f"{stem}.ipynb", 4)
        release = nbformat.read(course / "release" / stem / f"{stem}.ipynb", 4)
        students = {
            k: v
            for k, v in flow.submissions(source, release).items()
            if k in ("teacher", "unchanged")
        }
        return {k: v[3] for k, v in flow.grade(course, stem, students).items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", default=["01", "03"])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS (hub default: 1)")
    parser.add_argument("--minutes", type=int, default=45, help="a class period, for the CPU")
    args = parser.parse_args(argv)
    # the hub's kernels, the grading ones included, run OMP_NUM_THREADS threads: on a busy machine
    # more threads than cores make OpenMP spin, and a lesson's grading takes ten times longer
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the start", flush=True)

    server = server_memory()
    print(f"one user's server, idle: {server / MB:.0f} MiB", flush=True)
    kernels, cpus, grades = [], [], []
    for lesson in args.lessons:
        peak, cpu, wall, stem = kernel_cost(lesson, args.threads)
        kernels.append(peak)
        cpus.append(cpu)
        print(
            f"{stem}: kernel peak {peak / MB:.0f} MiB, {cpu:.0f} CPU s in {wall:.0f} s",
            flush=True,
        )
        seconds = grading_seconds(lesson)
        grades += list(seconds.values())
        print(
            f"{stem}: autograde " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()),
            flush=True,
        )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")

    n, kernel, grade = args.students, max(kernels), max(grades)
    per_student = server + kernel
    print(f"\nExtrapolation to {n} students (arithmetic on the figures above, not measured):")
    print(
        f"  memory, every student's server and kernel busy at once: {n} x "
        f"({server / MB:.0f} + {kernel / MB:.0f}) MiB = {n * per_student / 2**30:.1f} GiB"
    )
    print(
        f"  CPU, every student running the heaviest lesson within {args.minutes} minutes: "
        f"{n} x {max(cpus):.0f} CPU s / {args.minutes * 60} s = "
        f"{n * max(cpus) / (args.minutes * 60):.1f} cores busy on average"
    )
    print(
        f"  grading one lesson for the class, one submission at a time: {n} x {grade:.0f} s = "
        f"{n * grade / 60:.0f} min"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
