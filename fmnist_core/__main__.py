"""``python -m fmnist_core COMMAND``: the course from a terminal.

data                      fetch or verify Fashion-MNIST, print where it is
train                     train the course model, print the final test accuracy
lint                      check the lessons (pairs, nbgrader metadata, .py/.ipynb sync)
build [LESSON ...]        re-execute lessons from their .py and write the .ipynb
course OUT_DIR            a ready nbgrader course (teachers; needs the [teacher] extra to grade)
student OUT_DIR           student copies of the lessons
export --lang zh|en OUT   the lessons in one language
images                    redraw the figures in images/
"""

import argparse
import sys

LOSSES = ["ce", "nll", "mse", "l1", "smoothl1", "bce"]
OPTIMIZERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad"]


def cmd_data(args):
    from .data import FILES, ensure_data, raw_dir

    ensure_data(verbose=True)
    print(f"Fashion-MNIST 就绪，MD5 已校验 / ready, MD5 verified: {raw_dir()}")
    for name in FILES:
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
    from .tooling.lint import lint
    from .tooling.notebooks import find_root, lesson_sources

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
    from .tooling.notebooks import build, find_root, lesson_sources

    sources = lesson_sources(find_root())
    if args.lessons:
        wanted = [a.replace(".ipynb", "").replace(".py", "").split("/")[-1] for a in args.lessons]
        sources = [s for s in sources if any(s.stem == w or s.stem.startswith(w) for w in wanted)]
        if not sources:
            print(f"没有匹配的课程 / no lesson matches {args.lessons}")
            return 1
    build(sources, timeout=args.timeout, force=args.force)
    return 0


def cmd_student(args):
    from .tooling.classroom import make_student
    from .tooling.notebooks import find_root

    for path in make_student(find_root(), args.out_dir):
        print(f"写入 / wrote {path}")


def cmd_course(args):
    from .tooling.classroom import make_course
    from .tooling.notebooks import find_root

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


def cmd_export(args):
    from .tooling.classroom import make_export
    from .tooling.notebooks import find_root

    for path in make_export(find_root(), args.lang, args.out_dir):
        print(f"写入 / wrote {path}")


def cmd_images(args):
    from .tooling.figures import make_images
    from .tooling.notebooks import find_root

    for path in make_images(find_root() / "images"):
        print(f"写入 / wrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m fmnist_core",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("data", help="fetch or verify the data set").set_defaults(func=cmd_data)
    t = sub.add_parser("train", help="train the course model")
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
    t.set_defaults(func=cmd_train)
    sub.add_parser("lint", help="check the lessons").set_defaults(func=cmd_lint)
    b = sub.add_parser("build", help="re-execute lessons and write their .ipynb")
    b.add_argument("lessons", nargs="*", help="e.g. 00_data or notebooks/00_data.py (default: all)")
    b.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    b.add_argument("--force", action="store_true", help="re-run even when only the text changed")
    b.set_defaults(func=cmd_build)
    c = sub.add_parser("course", help="a ready nbgrader course")
    c.add_argument("out_dir")
    c.add_argument("--course-id", default="fmnist-course")
    c.add_argument("--lessons", nargs="*", help="e.g. 01_model 05 (default: all)")
    c.set_defaults(func=cmd_course)
    s = sub.add_parser("student", help="student copies of the lessons")
    s.add_argument("out_dir")
    s.set_defaults(func=cmd_student)
    e = sub.add_parser("export", help="the lessons in one language")
    e.add_argument("--lang", choices=["zh", "en"], required=True)
    e.add_argument("out_dir")
    e.set_defaults(func=cmd_export)
    sub.add_parser("images", help="redraw the figures in images/").set_defaults(func=cmd_images)
    args = parser.parse_args(argv)
    from .data import DataNotFoundError

    try:
        return args.func(args) or 0
    except DataNotFoundError as e:
        print(e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
