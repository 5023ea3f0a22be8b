"""One class on one shared server: JupyterHub with nbgrader's exchange (``python -m fmnist_core hub``).

``make_hub`` writes a folder modeled on nbgrader's JupyterHub demo for one class with several
graders (``demos/demo_one_class_multiple_graders``):

- ``jupyterhub_config.py``: the instructors' group ``formgrade-<course>`` reaches the formgrader,
  a hub service named after the course that runs as the grader account ``grader-<course>`` in
  the course folder; students (group ``nbgrader-<course>``) get their own server with the
  assignment list and no formgrader; the kernels read the data from one shared, read-only cache;
- ``jupyter/nbgrader_config.py``: the course id and the exchange, read by every server;
- ``jupyter-students/``: the server and JupyterLab settings of the users' own servers;
- ``course/``: the course of ``python -m fmnist_core course`` (timeouts, grading mode, ignored
  files), its gradebook holding the roster, and a collect step that refuses a submission whose
  files belong to someone else than the student it names (``OwnerCheckedCollect``);
- ``setup.sh``: what root does once: accounts with closed homes, the exchange with the
  permissions nbgrader expects, the shared data, the course in the grader's home.
"""

import csv
import json
import os
import pwd
import re
import stat
import subprocess
import sys
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect

from .classroom import make_course

# a system account name that JupyterHub keeps as it is (it lower-cases names) and nbgrader
# accepts as a student id (no '+' or '*')
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
COURSE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,24}$")  # grader-<id> stays within 32 characters
ROSTER_COLUMNS = ("username", "first_name", "last_name", "email")
EXCHANGE = "/srv/nbgrader/exchange"
DATA_DIR = "/srv/fmnist/data"


class HubError(ValueError):
    """A bad argument or roster, with a bilingual message."""


def _check_name(name, where):
    if not USERNAME.match(name):
        raise HubError(
            f"{where}：用户名 {name!r} 不合规，只能用小写字母、数字、_ 和 -，以字母或 _ 开头，"
            f"最多 32 个字符 / {where}: username {name!r} is not valid: lower-case letters, "
            "digits, _ and - only, starting with a letter or _, at most 32 characters"
        )
    return name


def read_roster(path):
    """The students of a CSV roster: a header line naming a ``username`` column (and optionally
    ``first_name``, ``last_name``, ``email``), one student a line. Returns a list of dicts."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise HubError(f"读不了名单 / cannot read the roster {path}: {e}") from None
    reader = csv.DictReader(text.splitlines())
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    if "username" not in header:
        raise HubError(
            f"名单 {path} 没有 username 列：第一行是列名，例如 username,first_name,last_name,email"
            f"（读到的是 {header}）/ the roster {path} has no username column: its first line "
            f"names the columns, e.g. username,first_name,last_name,email (found {header})"
        )
    students, seen = [], set()
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue  # a blank line
        where = f"{path.name} 第 {line} 行 / line {line}"
        name = _check_name(row.get("username", ""), where)
        if name in seen:
            raise HubError(f"{where}：{name} 出现了两次 / {name} is listed twice")
        seen.add(name)
        students.append({k: row.get(k, "") for k in ROSTER_COLUMNS})
    if not students:
        raise HubError(f"名单 {path} 里没有学生 / the roster {path} lists no student")
    return students


def parse_instructors(text, students=()):
    """``"a,b"`` -> ``["a", "b"]``, each a valid name that is not also a student."""
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    if not names:
        raise HubError("至少要有一位教师：--instructors a,b / name at least one instructor")
    for name in names:
        _check_name(name, "--instructors")
    both = sorted(set(names) & {s["username"] for s in students})
    if both:
        raise HubError(
            f"{both} 既是教师又在学生名单里 / {both} are both instructors and on the roster"
        )
    return names


class OwnerCheckedCollect(ExchangeCollect):
    """nbgrader's collect, refusing a submission whose folder is not owned by the student its
    name claims (nbgrader itself only warns, ``CollectApp.check_owner``, and collects it): one
    student cannot submit in another's name, whatever they write in their own nbgrader config.
    Every refused folder is logged and listed in ``self.refused``."""

    def init_src(self):
        self.refused = []
        super().init_src()

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        info = os.lstat(path)
        try:
            owner = pwd.getpwuid(info.st_uid).pw_name
        except KeyError:
            owner = f"uid {info.st_uid}"
        record["owner"] = f"a link of {owner}" if stat.S_ISLNK(info.st_mode) else owner
        if record["owner"] != record["username"]:
            self.refused.append(record)
        return record

    def _sort_by_timestamp(self, records):
        """A student's own submissions first (newest first): a forged newer one must not hide
        the newest real one."""
        ordered = super()._sort_by_timestamp(records)
        return [r for r in ordered if r not in self.refused] + [
            r for r in ordered if r in self.refused
        ]

    def copy_files(self):
        for r in self.refused:
            self.log.warning(
                "拒收 / refused %s: 它自称是 %s 交的，文件却属于 %s / it claims to be %s's "
                "submission but belongs to %s",
                r["filename"],
                r["username"],
                r["owner"],
                r["username"],
                r["owner"],
            )
        self.src_records = [r for r in self.src_records if r not in self.refused]
        super().copy_files()


GLOBAL_NBGRADER = """# nbgrader 的全局配置，每个服务器都读 / nbgrader's global configuration, read by every server
# on the hub (JUPYTER_CONFIG_PATH points here). Written by `python -m fmnist_core hub`.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
"""

COURSE_HUB = """
# 共享服务器 / on a shared server (`python -m fmnist_core hub`): the exchange, and a collect that
# refuses a submission whose files belong to someone else than the student it names
c.Exchange.root = {exchange!r}
c.ExchangeFactory.collect = "fmnist_core.tooling.hub.OwnerCheckedCollect"
"""

STUDENT_SERVER = {  # the users' own servers: the assignment list, no formgrader
    "ServerApp": {
        "jpserver_extensions": {
            "jupyterlab": True,
            "nbgrader.server_extensions.assignment_list": True,
            "nbgrader.server_extensions.validate_assignment": True,
            "nbgrader.server_extensions.course_list": False,
            "nbgrader.server_extensions.formgrader": False,
        }
    }
}
STUDENT_LAB = {
    "disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True,
        "@jupyter/nbgrader:create-assignment": True,
        "@jupyter/nbgrader:course-list": True,
    }
}

HUB_CONFIG = """# JupyterHub 配置，由 `python -m fmnist_core hub` 生成 / written by `python -m fmnist_core hub`.
# 仿照 nbgrader 的“一门课、多位评分教师”示例 / modeled on nbgrader's demo_one_class_multiple_graders.
# 普通 JupyterHub：jupyterhub -f 本文件 / plain JupyterHub: jupyterhub -f this file;
# The Littlest JupyterHub：把本文件链接进 /opt/tljh/config/jupyterhub_config.d/ 再 tljh-config reload
# / The Littlest JupyterHub: link it into /opt/tljh/config/jupyterhub_config.d/, then reload.
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent  # jupyter/ 和 jupyter-students/ 在这里 / live here
COURSE_ID = {course_id!r}
GRADER = {grader!r}  # formgrader 以这个账户运行 / the account the formgrader runs as
INSTRUCTORS = {instructors!r}
STUDENTS = {students!r}
# 学生的环境：装学生版 wheel（pip wheel --no-deps -w dist .），不要装含答案的仓库
# the students' environment: the student wheel, never the repository (it holds the answers)
STUDENT_PYTHON = {student_python!r}
GRADER_PYTHON = {grader_python!r}  # 评分的环境 / the grading environment (nbgrader + fmnist_core)
SERVICE_PORT = {service_port}
COURSE_DIR = os.path.join(os.path.expanduser("~" + GRADER), COURSE_ID)
KERNEL_ENV = {{  # 内核读共享的只读数据 / kernels read the shared read-only data
    "FMNIST_DATA_DIR": {data_dir!r},
    "FMNIST_MIRROR": {mirror!r},
    "OMP_NUM_THREADS": {threads!r},  # 很多内核共用几个核 / many kernels share a few cores
}}

c = get_config()  # noqa: F821
c.Authenticator.allowed_users.update(INSTRUCTORS + STUDENTS)
c.JupyterHub.load_groups.update(
    {{
        "formgrade-" + COURSE_ID: {{"users": INSTRUCTORS}},  # nbgrader: formgrade-<course>
        "nbgrader-" + COURSE_ID: {{"users": STUDENTS}},
    }}
)
# 教师组可以进入 formgrader 服务 / the instructors' group may use the formgrader service
c.JupyterHub.load_roles.append(
    {{
        "name": "formgrade-" + COURSE_ID,
        "groups": ["formgrade-" + COURSE_ID],
        "scopes": [
            "access:services!service=" + COURSE_ID,
            "list:services",
            "read:services!service=" + COURSE_ID,
        ],
    }}
)
# formgrader：一个由 hub 启动的服务，名字就是课程号，在课程文件夹里以评分账户运行
# the formgrader: a hub-managed service named after the course, run as the grader account in
# the course folder (its nbgrader_config.py: timeouts, grading mode, the owner-checked collect)
c.JupyterHub.services.append(
    {{
        "name": COURSE_ID,
        "url": "http://127.0.0.1:%d" % SERVICE_PORT,
        "command": [GRADER_PYTHON, "-m", "jupyterhub.singleuser"],
        "user": GRADER,
        "cwd": COURSE_DIR,
        "environment": {{
            **KERNEL_ENV,
            "JUPYTER_CONFIG_PATH": str(HERE / "jupyter"),
            "JUPYTERHUB_DEFAULT_URL": "/lab",
        }},
        "oauth_no_confirm": True,
    }}
)
# 每个用户自己的服务器：作业列表，没有 formgrader / each user's own server: the assignment list,
# no formgrader (jupyter-students/), the course's exchange (jupyter/nbgrader_config.py)
c.Spawner.cmd = [STUDENT_PYTHON, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.environment.update(
    {{
        **KERNEL_ENV,
        "JUPYTER_CONFIG_PATH": os.pathsep.join(
            [str(HERE / "jupyter-students"), str(HERE / "jupyter")]
        ),
    }}
)
"""

SETUP = """#!/usr/bin/env bash
# 以 root 运行一次（可以重复运行）/ run once as root (safe to run again): sudo bash setup.sh
# Written by `python -m fmnist_core hub`.
set -euo pipefail
cd "$(dirname "$0")"
HERE="$PWD"
COURSE_ID={course_id}
GRADER={grader}
EXCHANGE={exchange}
DATA_DIR={data_dir}
MIRROR={mirror}
GRADER_PYTHON={grader_python}
USERS=({users})

if [ "$(id -u)" != 0 ]; then
  echo "请用 root 运行 / run this as root: sudo bash $0" >&2
  exit 1
fi

# 1. 账户：评分账户和每位用户，主目录只有本人能进 / accounts: the grader and every user, each
#    home closed to everyone else (a student must not read another's notebooks)
for u in "$GRADER" "${{USERS[@]}}"; do
  if ! id -u "$u" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$u"
    echo "新账户 / new account: $u (设密码 / set its password: passwd $u)"
  fi
  home="$(getent passwd "$u" | cut -d: -f6)"
  if [ -d "$home" ]; then chmod 700 "$home"; fi
done

# 2. 交换目录：根目录 777 加粘滞位（nbgrader 要求 777；粘滞位让谁都删不了别人的文件夹）；
#    课程自己的文件夹属于评分账户，学生抢不走课程号：inbound 2733 可写不可列，feedback 711
# the exchange: its root 777 and sticky (nbgrader wants 777; sticky: nobody removes another's
# folder); the course's folders belong to the grader, so no student can take the course id:
# inbound 2733 (write, no listing, setgid), outbound 755, feedback 711
mkdir -p "$EXCHANGE"
chmod 1777 "$EXCHANGE"
mkdir -p "$EXCHANGE/$COURSE_ID/inbound" "$EXCHANGE/$COURSE_ID/outbound" "$EXCHANGE/$COURSE_ID/feedback"
chown "$GRADER:$GRADER" "$EXCHANGE/$COURSE_ID" "$EXCHANGE/$COURSE_ID"/{{inbound,outbound,feedback}}
chmod 755 "$EXCHANGE/$COURSE_ID" "$EXCHANGE/$COURSE_ID/outbound"
chmod 2733 "$EXCHANGE/$COURSE_ID/inbound"
chmod 711 "$EXCHANGE/$COURSE_ID/feedback"

# 3. 数据：一份共享的只读缓存 / the data: one shared read-only cache for every kernel
mkdir -p "$DATA_DIR"
FMNIST_DATA_DIR="$DATA_DIR" FMNIST_MIRROR="$MIRROR" "$GRADER_PYTHON" -m fmnist_core data
chmod -R a+rX "$DATA_DIR"

# 4. 课程放进评分账户的主目录；已经有了就不动（里面有成绩册）
# the course in the grader's home; kept when it is already there (it holds the gradebook)
GRADER_HOME="$(getent passwd "$GRADER" | cut -d: -f6)"
if [ -e "$GRADER_HOME/$COURSE_ID" ]; then
  echo "保留已有的课程 / kept the existing course: $GRADER_HOME/$COURSE_ID"
else
  cp -r "$HERE/course" "$GRADER_HOME/$COURSE_ID"
  chown -R "$GRADER:$GRADER" "$GRADER_HOME/$COURSE_ID"
fi
chmod 700 "$GRADER_HOME/$COURSE_ID"

# 5. 本文件夹：配置人人可读，课程副本（含答案）只有 root 能读
# this folder: the configuration readable by all, the course copy (it holds the answers) by root
chmod 755 "$HERE" "$HERE/jupyter" "$HERE/jupyter-students" "$HERE/jupyter-students/labconfig"
chmod 644 "$HERE/jupyterhub_config.py" "$HERE/jupyter/nbgrader_config.py" \\
  "$HERE/jupyter-students/jupyter_server_config.json" "$HERE/jupyter-students/labconfig/page_config.json"
chmod -R go-rwx "$HERE/course"
echo "完成 / done: jupyterhub -f $HERE/jupyterhub_config.py"
"""


def _q(value):
    """A value for bash: single-quoted."""
    return "'" + str(value).replace("'", "'\"'\"'") + "'"


def _gradebook(course, course_id, students):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id) as gb:
        for s in students:
            gb.update_or_create_student(
                s["id"], first_name=s["first_name"], last_name=s["last_name"], email=s["email"]
            )


def editable_warning(python):
    """A bilingual warning when ``python`` imports ``fmnist_core`` from a checkout holding the
    teacher's notebooks, else ``""``."""
    try:
        where = subprocess.run(
            [python, "-c", "import importlib.util as u; print(u.find_spec('fmnist_core').origin)"],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        where = ""
    if not where:
        return f"注意：{python} 导入不了 fmnist_core / note: {python} cannot import fmnist_core"
    checkout = Path(where).resolve().parent.parent
    if (checkout / "notebooks").is_dir():
        return (
            f"注意：学生的环境从 {checkout} 导入 fmnist_core，那里有含答案的 notebooks/；给学生一个装了"
            "学生版 wheel 的环境（--student-python）/ note: the students' environment imports "
            f"fmnist_core from {checkout}, whose notebooks/ hold the answers; give the students an "
            "environment with the student wheel (--student-python)"
        )
    return ""


def make_hub(
    root,
    out,
    course_id,
    instructors,
    students,
    *,
    lessons=None,
    exchange=EXCHANGE,
    data_dir=DATA_DIR,
    mirror=None,
    student_python=None,
    grader_python=None,
    service_port=9999,
    threads=1,
    system_prefix="",
):
    """Write everything one server needs into ``out`` (see the module's docstring); returns
    the paths written. ``students``: dicts of ``read_roster``; ``system_prefix``: what the
    spawner puts before a hub name to make the system account (``jupyter-`` on The Littlest
    JupyterHub), which nbgrader sees as the student id."""
    if not COURSE_ID.match(course_id):
        raise HubError(
            f"课程号 {course_id!r} 不合规：小写字母、数字、_ 和 -，最多 25 个字符 / course id "
            f"{course_id!r} is not valid: lower-case letters, digits, _ and -, at most 25 characters"
        )
    for s in students:
        _check_name(system_prefix + s["username"], "--system-prefix + username")
    out = Path(out).absolute()
    out.mkdir(parents=True, exist_ok=True)
    grader = f"grader-{course_id}"
    mirror = mirror if mirror is not None else os.environ.get("FMNIST_MIRROR", "")
    student_python = student_python or sys.executable
    grader_python = grader_python or sys.executable

    course = out / "course"
    written = make_course(root, course, course_id, lessons)
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(COURSE_HUB.format(exchange=exchange))
    (course / "gradebook.db").unlink(missing_ok=True)
    _gradebook(course, course_id, [{**s, "id": system_prefix + s["username"]} for s in students])
    os.chmod(course, 0o700)  # the teacher's notebooks: never readable by others
    written += [course / "nbgrader_config.py", course / "gradebook.db"]

    files = {
        "jupyter/nbgrader_config.py": GLOBAL_NBGRADER.format(
            course_id=course_id, exchange=exchange
        ),
        "jupyter-students/jupyter_server_config.json": json.dumps(STUDENT_SERVER, indent=2),
        "jupyter-students/labconfig/page_config.json": json.dumps(STUDENT_LAB, indent=2),
        "jupyterhub_config.py": HUB_CONFIG.format(
            course_id=course_id,
            grader=grader,
            instructors=list(instructors),
            students=[s["username"] for s in students],
            student_python=str(student_python),
            grader_python=str(grader_python),
            service_port=int(service_port),
            data_dir=str(data_dir),
            mirror=str(mirror),
            threads=str(threads),
        ),
        "setup.sh": SETUP.format(
            course_id=_q(course_id),
            grader=_q(grader),
            exchange=_q(exchange),
            data_dir=_q(data_dir),
            mirror=_q(mirror),
            grader_python=_q(grader_python),
            users=" ".join(
                _q(system_prefix + n) for n in [*instructors, *(s["username"] for s in students)]
            ),
        ),
    }
    for name, text in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        written.append(path)
    os.chmod(out / "setup.sh", 0o755)
    return written
