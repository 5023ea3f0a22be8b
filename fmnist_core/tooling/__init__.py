"""Course tooling: build the executed notebooks, lint them, make student and one-language copies,
and draw the figures in ``images/``. Used through ``python -m fmnist_core``."""
