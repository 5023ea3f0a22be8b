"""The figures the lessons' markdown shows, drawn from code so anyone can remake them:
``python -m fmnist_core images`` writes them into ``images/``."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from ..plot import cjk_font, label  # noqa: E402


def _box(ax, x, y, w, h, text, color):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02",
                                fc=color, ec="black", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax, a, b, text=""):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=14, lw=1.2,
                                 connectionstyle="arc3,rad=0"))
    if text:
        ax.text((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + 0.05, text, ha="center", fontsize=8)


def mlp_diagram():
    """The course MLP, layer by layer, with the shape of the data between layers."""
    fig, ax = plt.subplots(figsize=(11, 2.6))
    layers = [(label("图像", "image"), "(N, 1, 28, 28)", "#dddddd"),
              ("Flatten", "(N, 784)", "#cfe2f3"),
              ("Linear(784, 512)", "(N, 512)", "#d9ead3"), ("ReLU", "(N, 512)", "#fff2cc"),
              ("Linear(512, 512)", "(N, 512)", "#d9ead3"), ("ReLU", "(N, 512)", "#fff2cc"),
              ("Linear(512, 10)", "(N, 10)", "#d9ead3"), (label("logits", "logits"), "", "#f4cccc")]
    xs = [0.7 + 1.45 * k for k in range(len(layers))]
    for x, (name, _, color) in zip(xs, layers):
        _box(ax, x, 0.6, 1.2, 0.45, name, color)
    for k in range(len(layers) - 1):
        _arrow(ax, (xs[k] + 0.6, 0.6), (xs[k + 1] - 0.6, 0.6))
        ax.text((xs[k] + xs[k + 1]) / 2, 0.2, layers[k + 1][1] or "", ha="center", fontsize=8, color="gray")
    ax.text(xs[0], 0.2, layers[0][1], ha="center", fontsize=8, color="gray")
    ax.text(xs[-1], 0.2, "(N, 10)", ha="center", fontsize=8, color="gray")
    ax.set_title(label("课程模型 NeuralNetwork：669,706 个参数", "The course model NeuralNetwork: 669,706 parameters"))
    ax.set_xlim(0, xs[-1] + 0.8)
    ax.set_ylim(0, 1)
    ax.axis("off")
    return fig


def training_loop_diagram():
    """One optimization step: forward, loss, backward, optimizer step, zero_grad."""
    fig, ax = plt.subplots(figsize=(9, 3.2))
    steps = [(label("取一个批次", "next batch") + "\n(X, y)", "#dddddd"),
             (label("前向", "forward") + "\npred = model(X)", "#cfe2f3"),
             (label("损失", "loss") + "\nloss_fn(pred, y)", "#f4cccc"),
             (label("反向传播", "backward") + "\nloss.backward()", "#fff2cc"),
             (label("更新参数", "update") + "\noptimizer.step()", "#d9ead3"),
             (label("清零梯度", "clear gradients") + "\noptimizer.zero_grad()", "#ead1dc")]
    xs = [1.0 + 1.9 * k for k in range(len(steps))]
    for x, (text, color) in zip(xs, steps):
        _box(ax, x, 0.6, 1.6, 0.5, text, color)
    for k in range(len(steps) - 1):
        _arrow(ax, (xs[k] + 0.8, 0.6), (xs[k + 1] - 0.8, 0.6))
    ax.add_patch(FancyArrowPatch((xs[-1], 0.33), (xs[0], 0.33), arrowstyle="-|>", mutation_scale=14,
                                 lw=1.2, connectionstyle="arc3,rad=0.25"))
    ax.text((xs[0] + xs[-1]) / 2, 0.02, label("每个批次重复一次；整个训练集一遍为一轮", "repeat for every batch; one pass over the training set is one epoch"),
            ha="center", fontsize=9)
    ax.set_xlim(0, xs[-1] + 1.0)
    ax.set_ylim(-0.05, 1)
    ax.axis("off")
    return fig


FIGURES = {"mlp.png": mlp_diagram, "training_loop.png": training_loop_diagram}


def make_images(out_dir):
    """Draw every figure into ``out_dir``; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not cjk_font():
        print("没有中文字体，图中只用英文 / no CJK font found: the figures use English only")
    written = []
    for name, draw in FIGURES.items():
        fig = draw()
        fig.savefig(out_dir / name, dpi=120, bbox_inches="tight")
        plt.close(fig)
        written.append(out_dir / name)
    return written
