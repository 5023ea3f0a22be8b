"""Plots with Chinese and English labels: a CJK font when the system has one, English otherwise.

Text for a figure: ``label(zh, en)`` for any label or title, ``class_label(i)`` for a class
name. Text to print: ``fc.class_name(i, lang)`` (``data``), and ``pad`` to line up a table.
"""

import os
import unicodedata
import warnings

import matplotlib
import matplotlib.pyplot as plt
import torch
from matplotlib import font_manager
from matplotlib.ticker import MaxNLocator

from .data import CLASSES_EN, CLASSES_ZH

CJK_FONTS = [
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    # the other faces of Noto CJK draw every Chinese character too; matplotlib before 3.11 sees
    # only the JP face of the Debian/Ubuntu collection (NotoSansCJK-Regular.ttc)
    "Noto Sans CJK TC",
    "Noto Sans CJK HK",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Arial Unicode MS",
]
_cjk = None  # the font found, "" when none; None until the first look


def _first_cjk():
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), "")


def _draws_chinese(entry):
    if entry.name in CJK_FONTS or "CJK" in entry.name:
        return True
    try:
        return ord("中") in font_manager.get_font(entry.fname).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False  # a font file matplotlib cannot read draws nothing


def hide_cjk_fonts():
    """Make this process see the fonts of a machine with none that draws Chinese (a new Debian
    or Ubuntu), and turn matplotlib's "Glyph ... missing from font(s)" warning into an error, so
    that any figure text that bypasses ``label``'s English fallback fails where it is drawn.
    ``FMNIST_HIDE_CJK_FONTS=1`` calls it on the first ``use_cjk_font()``; CI runs the lessons so.
    """
    global _cjk
    manager = font_manager.fontManager
    manager.ttflist = [f for f in manager.ttflist if not _draws_chinese(f)]
    manager._findfont_cached.cache_clear()  # forget fonts already looked up by name
    warnings.filterwarnings(
        "error", message=r"Glyph \d+ .* missing from font", category=UserWarning
    )
    _cjk = ""


def use_cjk_font():
    """Make matplotlib draw Chinese with the first CJK font installed here, and return that
    font's name ("" when there is none: figures then use English labels only).

    matplotlib keeps a cache of the fonts it found the first time it ran; when that cache knows
    no CJK font, the system's fonts are scanned once more, so a font installed since is found.
    ``FMNIST_PLOT_LANG=en`` asks for English-only figures even where a CJK font exists;
    ``FMNIST_HIDE_CJK_FONTS=1`` acts as a machine without one (``hide_cjk_fonts``).
    """
    global _cjk
    if _cjk is None and os.environ.get("FMNIST_HIDE_CJK_FONTS", "") not in ("", "0"):
        hide_cjk_fonts()
    if _cjk is None and os.environ.get("FMNIST_PLOT_LANG", "").lower() == "en":
        _cjk = ""
    if _cjk is None:
        _cjk = _first_cjk()
        if not _cjk:
            known = {f.fname for f in font_manager.fontManager.ttflist}
            for path in font_manager.findSystemFonts():
                if path not in known:
                    try:
                        font_manager.fontManager.addfont(path)
                    except (OSError, RuntimeError, ValueError):
                        pass  # a font file matplotlib cannot read: skip it
            _cjk = _first_cjk()
        if _cjk:
            # the CJK font for Chinese, DejaVu Sans for every glyph it lacks
            matplotlib.rcParams["font.sans-serif"] = [_cjk, "DejaVu Sans"]
            matplotlib.rcParams["font.family"] = "sans-serif"
    return _cjk


cjk_font = use_cjk_font  # the old name, still called by the lessons' first cells


def text_width(s):
    """Columns ``s`` takes in a terminal or notebook output: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(s))


def pad(s, width, align="<"):
    """``s`` padded with spaces to ``width`` columns (``align`` ``<`` or ``>``), counting Chinese
    characters as two, so a printed table that mixes Chinese and Latin text lines up."""
    s = str(s)
    fill = " " * max(0, width - text_width(s))
    return fill + s if align == ">" else s + fill


def label(zh, en):
    """Text for a figure (axis label, title, legend): "zh / en", or just ``en`` where no CJK
    font can draw ``zh``."""
    return f"{zh} / {en}" if use_cjk_font() else en


def class_label(i):
    """Class ``i``'s name for a figure: "T恤/上衣" above "T-shirt/top", or "T-shirt/top" alone
    without a CJK font (to print it, ``fc.class_name``)."""
    i = int(i)
    return f"{CLASSES_ZH[i]}\n{CLASSES_EN[i]}" if use_cjk_font() else CLASSES_EN[i]


def show_images(images, labels, preds=None, ncols=8, size=1.5):
    """A grid of images titled with their class names; a wrong prediction is titled in red."""
    use_cjk_font()
    n = len(images)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * size, nrows * (size + 0.5)), squeeze=False
    )
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        ax.imshow(torch.as_tensor(images[k]).detach().cpu().squeeze().numpy(), cmap="gray_r")
        title, color = class_label(labels[k]), "black"
        if preds is not None:
            color = "tab:green" if int(preds[k]) == int(labels[k]) else "tab:red"
            title = class_label(preds[k])  # the prediction; red when it is wrong
        ax.set_title(title, fontsize=8, color=color)
    fig.tight_layout()
    return fig


def plot_histories(histories, metrics=None, title=None, size=(10, 3.5)):
    """Curves of several runs on one figure: ``histories`` maps a run name to ``fit``'s history.

    ``metrics`` defaults to the training loss and the accuracy the runs were evaluated with
    (``val_acc`` for runs evaluated on the validation split, else ``test_acc``).
    """
    if metrics is None:
        first = next(iter(histories.values()))[0]
        metrics = ("train_loss", "val_acc" if "val_acc" in first else "test_acc")
    names = {
        "train_loss": ("训练损失", "train loss"),
        "test_loss": ("测试损失", "test loss"),
        "test_acc": ("测试准确率", "test accuracy"),
        "val_loss": ("验证损失", "validation loss"),
        "val_acc": ("验证准确率", "validation accuracy"),
        "seconds": ("每轮秒数", "seconds per epoch"),
    }
    use_cjk_font()
    fig, axes = plt.subplots(1, len(metrics), figsize=size, squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for run, history in histories.items():
            ax.plot(
                [h["epoch"] for h in history], [h[metric] for h in history], marker="o", label=run
            )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.set_xlabel(label("轮次", "epoch"))
        ax.set_ylabel(label(*names.get(metric, (metric, metric))))
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
