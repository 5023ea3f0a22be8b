"""The figures the lessons' markdown shows, drawn from code so anyone can remake them:
``python -m fmnist_core images`` writes them into ``images/``."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from ..plot import label, use_cjk_font  # noqa: E402


def _box(ax, x, y, w, h, text, color):
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02", fc=color, ec="black", lw=1
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax, a, b, text=""):
    ax.add_patch(
        FancyArrowPatch(
            a, b, arrowstyle="-|>", mutation_scale=14, lw=1.2, connectionstyle="arc3,rad=0"
        )
    )
    if text:
        ax.text((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + 0.05, text, ha="center", fontsize=8)


def _two_lines(zh, en):
    return f"{zh}\n{en}" if use_cjk_font() else en


def _row(ax, y, items, x0=1.0, dx=2.0, w=1.7, h=0.5):
    """Boxes (text, color) left to right at height y, joined by arrows; returns their x."""
    xs = [x0 + dx * k for k in range(len(items))]
    for x, (text, color) in zip(xs, items):
        _box(ax, x, y, w, h, text, color)
    for a, b in zip(xs, xs[1:]):
        _arrow(ax, (a + w / 2, y), (b - w / 2, y))
    return xs


def mlp_diagram():
    """The course MLP, layer by layer, with the shape of the data after each layer."""
    fig, ax = plt.subplots(figsize=(11, 2.4))
    layers = [
        (_two_lines("图像", "image"), "(N, 1, 28, 28)", "#dddddd"),
        ("Flatten", "(N, 784)", "#cfe2f3"),
        ("Linear(784, 512)", "(N, 512)", "#d9ead3"),
        ("ReLU", "(N, 512)", "#fff2cc"),
        ("Linear(512, 512)", "(N, 512)", "#d9ead3"),
        ("ReLU", "(N, 512)", "#fff2cc"),
        ("Linear(512, 10)", "(N, 10)", "#d9ead3"),
        (_two_lines("未归一化的分数", "logits"), "(N, 10)", "#f4cccc"),
    ]
    xs = _row(
        ax, 0.6, [(name, color) for name, _, color in layers], x0=0.75, dx=1.45, w=1.25, h=0.45
    )
    for x, (_, shape, _) in zip(xs, layers):
        ax.text(x, 0.22, shape, ha="center", fontsize=8, color="dimgray")
    ax.set_title(
        label(
            "课程模型 NeuralNetwork：669,706 个参数",
            "The course model NeuralNetwork: 669,706 parameters",
        )
    )
    ax.set_xlim(0, xs[-1] + 0.8)
    ax.set_ylim(0.1, 0.95)
    ax.axis("off")
    return fig


def training_loop_diagram():
    """One optimization step: forward, loss, backward, optimizer step, zero_grad, repeated."""
    fig, ax = plt.subplots(figsize=(11, 3.2))
    steps = [
        (_two_lines("取一个批次", "next batch") + "\n(X, y)", "#dddddd"),
        (_two_lines("前向传播", "forward") + "\npred = model(X)", "#cfe2f3"),
        (_two_lines("损失", "loss") + "\nloss_fn(pred, y)", "#f4cccc"),
        (_two_lines("反向传播", "backward") + "\nloss.backward()", "#fff2cc"),
        (_two_lines("更新参数", "update") + "\noptimizer.step()", "#d9ead3"),
        (_two_lines("梯度清零", "clear gradients") + "\noptimizer.zero_grad()", "#ead1dc"),
    ]
    xs = _row(ax, 0.65, steps, w=1.75, h=0.6)
    ax.add_patch(
        FancyArrowPatch(
            (xs[-1], 0.35),
            (xs[0], 0.35),
            arrowstyle="-|>",
            mutation_scale=14,
            lw=1.2,
            connectionstyle="arc3,rad=-0.12",
        )
    )
    ax.text(
        (xs[0] + xs[-1]) / 2,
        -0.05,
        label(
            "每个批次重复一次；整个训练集过一遍为一轮",
            "repeated for every batch; one pass over the training set is one epoch",
        ),
        ha="center",
        fontsize=9,
    )
    ax.set_xlim(0, xs[-1] + 1.0)
    ax.set_ylim(-0.15, 1.0)
    ax.axis("off")
    return fig


def data_pipeline_diagram():
    """From the four files to batches: the DataLoader way and the whole-tensor fast path."""
    fig, ax = plt.subplots(figsize=(11, 3.0))
    _row(
        ax,
        1.1,
        [
            (_two_lines("4 个 .gz 文件", "4 .gz files") + "\n(MD5 ✓)", "#dddddd"),
            ("FashionMNIST\n+ ToTensor", "#cfe2f3"),
            ("DataLoader\nbatch_size=64\nshuffle=True", "#fff2cc"),
            ("X: (64, 1, 28, 28)\ny: (64,)", "#d9ead3"),
        ],
        x0=1.2,
        dx=2.6,
        w=2.1,
        h=0.6,
    )
    _row(
        ax,
        0.15,
        [
            (_two_lines("4 个 .gz 文件", "4 .gz files") + "\n(MD5 ✓)", "#dddddd"),
            ("fc.load_tensors\n(60000, 1, 28, 28)", "#cfe2f3"),
            ("fc.TensorLoader\n" + _two_lines("每轮打乱一次", "shuffled each epoch"), "#fff2cc"),
            ("X: (64, 1, 28, 28)\ny: (64,)", "#d9ead3"),
        ],
        x0=1.2,
        dx=2.6,
        w=2.1,
        h=0.6,
    )
    ax.text(
        0.1,
        1.5,
        label("原教程：每张图片单独转换", "original tutorial: each image converted on its own"),
        fontsize=9,
    )
    ax.text(
        0.1,
        0.54,
        label("快速通道：整个数据集一次转换", "fast path: the whole data set converted once"),
        fontsize=9,
    )
    ax.set_xlim(0, 10.2)
    ax.set_ylim(-0.25, 1.62)
    ax.axis("off")
    return fig


FIGURES = {
    "mlp.png": mlp_diagram,
    "training_loop.png": training_loop_diagram,
    "data_pipeline.png": data_pipeline_diagram,
}


def make_images(out_dir):
    """Draw every figure into ``out_dir``; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not use_cjk_font():
        print("没有中文字体，图中只用英文 / no CJK font found: the figures use English only")
    written = []
    for name, draw in FIGURES.items():
        fig = draw()
        fig.savefig(out_dir / name, dpi=120, bbox_inches="tight")
        plt.close(fig)
        written.append(out_dir / name)
    return written
