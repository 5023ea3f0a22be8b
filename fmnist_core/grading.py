"""Grading mode: when ``FMNIST_GRADING=1`` (the nbgrader course's config sets it for the kernels
that grade), a cell whose first line is ``GRADING_MARKER`` prints one line instead of running.

Only long demonstration cells carry the marker (``python -m fmnist_core course`` adds it to the
cells tagged ``grading-skip``); every exercise and its check runs in full.
"""

import os

GRADING_MARKER = "# 评分时跳过 / skipped when grading"
SKIPPED = 'print("评分模式：跳过这个演示单元格 / grading mode: demonstration cell skipped")\n'


def skip_marked_cells(lines):
    """An IPython input transformer: a marked cell becomes one print."""
    return [SKIPPED] if lines and lines[0].rstrip() == GRADING_MARKER else lines


def enable_if_grading():
    """Register ``skip_marked_cells`` in the running IPython kernel when grading; returns
    whether it is registered."""
    if os.environ.get("FMNIST_GRADING") != "1":
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    if skip_marked_cells not in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.append(skip_marked_cells)
    return True
