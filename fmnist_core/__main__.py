"""python -m fmnist_core COMMAND: the course from a terminal."""

import argparse
import sys
from pathlib import Path

AUDIENCES = {  # who runs the commands: (zh, en, the install that brings what they import)
    "learners": ("学习者", "learners", "any install"),
    "teachers": ("教师", "teachers", 'pip install -e ".[teacher]"'),
    "maintainers": ("维护者", "maintainers", 'pip install -e ".[dev]"'),
}
COMMANDS = {  # command: (audience, arguments, what it does)
    "data": ("learners", "", "fetch or verify Fashion-MNIST, print where it is"),
    "train": ("learners", "[OPTIONS]", "train the course model, print the final test accuracy"),
    "student": ("teachers", "OUT_DIR", "student copies of the lessons"),
    "export": ("teachers", "--lang zh|en OUT_DIR", "the lessons in one language"),
    "course": ("teachers", "OUT_DIR", "a ready nbgrader course"),
    "hub": (
        "teachers",
        "OUT_DIR --course-id ...",
        "JupyterHub + nbgrader exchange for one class on a shared server",
    ),
    "lint": ("maintainers", "", "check the lessons (zh/en pairs, nbgrader, .py/.ipynb sync)"),
    "build": ("maintainers", "[LESSON ...]", "re-execute lessons, write their .ipynb"),
    "images": ("maintainers", "", "redraw the figures in images/"),
    "site": ("maintainers", "OUT_DIR", "the lessons as a web site, zh and en ('.[dev,site]')"),
}
# a command whose modules come from an extra of its own: the install that brings them
INSTALLS = {"site": 'pip install -e ".[dev,site]"'}


def _overview():
    """The commands grouped by audience, each group with the install it needs (``--help``)."""
    lines = [__doc__]
    for key, (zh, en, install) in AUDIENCES.items():
        lines += ["", f"{zh} / {en} ({install}):"]
        lines += [
            f"  {f'{name} {args}'.strip():<29}{what}"
            for name, (audience, args, what) in COMMANDS.items()
            if audience == key
        ]
    return "\n".join(lines)


def _missing_extra(command, error):
    """What to say when a teacher's or maintainer's command lacks a module its extra brings
    (None for a learner's command, or for a module of this package: that is a bug)."""
    audience, module = COMMANDS[command][0], (error.name or "?").partition(".")[0]
    if audience == "learners" or module == "fmnist_core":
        return None
    zh, en, install = AUDIENCES[audience]
    who = f"{zh}的命令都用得到它，请安装 / the {en}' commands need it; install:"
    if command in INSTALLS:
        install, who = INSTALLS[command], "这个命令的依赖这样安装 / this command's install:"
    return (
        f"python -m fmnist_core {command} 需要 {module}，这个环境里没有 / needs {module}, which this "
        f"environment lacks.\n{who}\n  {install}"
    )


LOSSES = ["ce", "nll", "mse", "l1", "smoothl1", "bce"]
OPTIMIZERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad"]


def cmd_data(args):
    from .data import GZ_MD5, ensure_data, raw_dir

    ensure_data(verbose=True)
    print(f"Fashion-MNIST 就绪，MD5 已校验 / ready, MD5 verified: {raw_dir()}")
    for name in GZ_MD5:
        print(f"  {name}")


def make_loss(name):
    """The loss function and the target transform it needs (one-hot floats for mse, l1, bce)."""
    import torch.nn.functional as F
    from torch import nn

    def one_hot(y):
        return F.one_hot(y, 10).float()

    return {
        "ce": (nn.CrossEntropyLoss(), None),
        "nll": (lambda logits, y: F.nll_loss(F.log_softmax(logits, dim=1), y), None),
        "mse": (nn.MSELoss(), one_hot),
        "l1": (nn.L1Loss(), one_hot),
        "smoothl1": (nn.SmoothL1Loss(), one_hot),
        "bce": (nn.BCEWithLogitsLoss(), one_hot),
    }[name]


def cmd_train(args):
    import torch

    from .data import get_dataloaders, get_tensor_loaders
    from .model import NeuralNetwork
    from .train import fit, get_device, set_seed

    set_seed(args.seed)
    device = get_device()
    loss_fn, target_fn = make_loss(args.loss)
    model = NeuralNetwork().to(device)
    kw = {"lr": args.lr, "weight_decay": args.weight_decay}
    if args.optimizer == "sgd":
        kw.update(momentum=args.momentum, nesterov=args.nesterov)
    opt_class = {
        "sgd": torch.optim.SGD,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
        "rmsprop": torch.optim.RMSprop,
        "adagrad": torch.optim.Adagrad,
    }[args.optimizer]
    optimizer = opt_class(model.parameters(), **kw)
    scheduler = None
    if args.cosine:
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    if args.dataloader:
        train_loader, test_loader = get_dataloaders(args.batch_size)
    else:
        train_loader, test_loader = get_tensor_loaders(args.batch_size, device)
    print(
        f"设备 / device: {device}; {args.loss} + {args.optimizer} (lr={args.lr}), "
        f"batch {args.batch_size}, {args.epochs} epochs"
    )
    history = fit(
        model,
        train_loader,
        test_loader,
        loss_fn,
        optimizer,
        args.epochs,
        scheduler=scheduler,
        target_fn=target_fn,
        progress=not args.no_progress,
    )
    print(f"最终测试准确率 / final test accuracy: {100 * history[-1]['test_acc']:.2f}%")


def cmd_lint(args):
    from .tooling.lessons import find_root, lesson_sources
    from .tooling.lint import lint

    root = find_root()
    problems = lint(root)
    for p in problems:
        print(p)
    if problems:
        print(
            f"\n课程检查未通过：{len(problems)} 个问题 / course lint failed: {len(problems)} problem(s)"
        )
        return 1
    print(f"课程检查通过 / course lint passed ({len(lesson_sources(root))} lessons)")
    return 0


def cmd_build(args):
    from .tooling.lessons import build, find_root, lesson_sources

    sources = lesson_sources(find_root())
    if args.lessons:
        wanted = [Path(a).stem for a in args.lessons]
        sources = [s for s in sources if any(s.stem == w or s.stem.startswith(w) for w in wanted)]
        if not sources:
            print(f"没有匹配的课程 / no lesson matches {args.lessons}")
            return 1
    build(sources, timeout=args.timeout, force=args.force)
    return 0


def cmd_student(args):
    from .tooling.classroom import make_student
    from .tooling.lessons import find_root

    for path in make_student(find_root(), args.out_dir):
        print(f"写入 / wrote {path}")


def cmd_course(args):
    from .tooling.classroom import make_course
    from .tooling.lessons import find_root

    try:
        written = make_course(find_root(), args.out_dir, args.course_id, args.lessons)
    except ValueError as e:
        print(e)
        return 1
    for path in written:
        print(f"写入 / wrote {path}")
    print(
        f"下一步 / next: cd {args.out_dir} && nbgrader generate_assignment {written[0].parent.name}"
    )
    return 0


def cmd_hub(args):
    from .tooling.hub import HubError, editable_warning, make_hub, parse_instructors, read_roster
    from .tooling.lessons import find_root

    try:
        students = read_roster(args.students_file)
        instructors = parse_instructors(args.instructors, students)
        written = make_hub(
            find_root(),
            args.out_dir,
            args.course_id,
            instructors,
            students,
            lessons=args.lessons,
            exchange=args.exchange,
            data_dir=args.data_dir,
            mirror=args.mirror,
            student_python=args.student_python,
            grader_python=args.grader_python,
            service_port=args.service_port,
            threads=args.threads,
            system_prefix=args.system_prefix,
        )
    except HubError as e:
        print(e, file=sys.stderr)
        return 1
    for path in written:
        print(f"写入 / wrote {path}")
    warning = editable_warning(args.student_python or sys.executable)
    if warning:
        print(warning)
    out = Path(args.out_dir).absolute()
    print(
        f"{len(students)} 名学生，{len(instructors)} 位教师 / {len(students)} students, "
        f"{len(instructors)} instructors. 下一步 / next:\n  sudo bash {out / 'setup.sh'}\n"
        f"  sudo jupyterhub -f {out / 'jupyterhub_config.py'}"
    )
    return 0


def cmd_export(args):
    from .tooling.classroom import make_export
    from .tooling.lessons import find_root

    for path in make_export(find_root(), args.lang, args.out_dir):
        print(f"写入 / wrote {path}")


def cmd_images(args):
    from .tooling.figures import make_images
    from .tooling.lessons import find_root

    for path in make_images(find_root() / "images"):
        print(f"写入 / wrote {path}")


def cmd_site(args):
    from .tooling.lessons import find_root
    from .tooling.site import build_site, site_size

    out = Path(args.out_dir)
    result = build_site(find_root(), out, quiet=not args.verbose)
    for line in result["warnings"]:
        print(line, file=sys.stderr)
    size, files = site_size(out)
    pages = sum(len(p) for p in result["pages"].values())
    print(
        f"网站已写入 / site written: {out} ({pages} 页 / pages, {files} 个文件 / files, "
        f"{size / 2**20:.1f} MB, {result['seconds']:.0f} s)\n"
        f"阅读 / read: python -m http.server -d {out} 8000  →  http://localhost:8000/"
    )
    if result["warnings"]:
        print(f"Sphinx 警告 / warnings: {len(result['warnings'])}", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m fmnist_core",
        usage="%(prog)s [-h] COMMAND ...",
        description=_overview(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help=argparse.SUPPRESS
    )

    def command(name, func):
        p = sub.add_parser(name, description=COMMANDS[name][2])
        p.set_defaults(func=func)
        return p

    command("data", cmd_data)
    t = command("train", cmd_train)
    t.add_argument("--loss", choices=LOSSES, default="ce")
    t.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--epochs", type=int, default=5)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--momentum", type=float, default=0.0)
    t.add_argument("--nesterov", action="store_true")
    t.add_argument("--weight-decay", type=float, default=0.0)
    t.add_argument("--cosine", action="store_true", help="cosine learning-rate schedule")
    t.add_argument(
        "--dataloader", action="store_true", help="DataLoader + ToTensor instead of the fast path"
    )
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--no-progress", action="store_true")
    command("student", cmd_student).add_argument("out_dir")
    e = command("export", cmd_export)
    e.add_argument("--lang", choices=["zh", "en"], required=True)
    e.add_argument("out_dir")
    c = command("course", cmd_course)
    c.add_argument("out_dir")
    c.add_argument("--course-id", default="fmnist-course")
    c.add_argument("--lessons", nargs="*", help="e.g. 01_model 05 (default: all)")
    h = command("hub", cmd_hub)
    h.add_argument("out_dir")
    h.add_argument("--course-id", required=True, help="e.g. fmnist-2026 (also the service's name)")
    h.add_argument("--instructors", required=True, help="hub user names, comma-separated: a,b")
    h.add_argument(
        "--students-file", required=True, help="CSV with a username column (first_name, ...)"
    )
    h.add_argument("--lessons", nargs="*", help="e.g. 01_model 05 (default: all)")
    h.add_argument("--exchange", default="/srv/nbgrader/exchange", help="nbgrader's exchange")
    h.add_argument("--data-dir", default="/srv/fmnist/data", help="shared read-only data cache")
    h.add_argument("--mirror", help="FMNIST_MIRROR for the kernels (default: this shell's)")
    h.add_argument("--student-python", help="python of the students' environment (the wheel)")
    h.add_argument("--grader-python", help="python of the grading environment (nbgrader)")
    h.add_argument("--service-port", type=int, default=9999, help="the formgrader's local port")
    h.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS of every kernel")
    h.add_argument(
        "--system-prefix", default="", help="'jupyter-' on The Littlest JupyterHub (system names)"
    )
    command("lint", cmd_lint)
    b = command("build", cmd_build)
    b.add_argument("lessons", nargs="*", help="e.g. 00_data or notebooks/00_data.py (default: all)")
    b.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    b.add_argument("--force", action="store_true", help="re-run even when only the text changed")
    command("images", cmd_images)
    s = command("site", cmd_site)
    s.add_argument("out_dir")
    s.add_argument("--verbose", action="store_true", help="show Sphinx's output")
    args = parser.parse_args(argv)
    from .data import DataNotFoundError

    try:
        return args.func(args) or 0
    except DataNotFoundError as e:
        print(e, file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        message = _missing_extra(args.command, e)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
