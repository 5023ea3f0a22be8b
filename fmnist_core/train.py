"""Training: one epoch, evaluation, and ``fit`` returning a history; device and seed helpers."""

import os
import random
import sys
import time

import torch
from tqdm.auto import tqdm


def get_device():
    """The fastest device here: ``cuda``, then ``mps`` (Apple), then ``cpu``.

    ``FMNIST_DEVICE`` overrides it (for example ``FMNIST_DEVICE=cpu``).
    """
    if os.environ.get("FMNIST_DEVICE"):
        return torch.device(os.environ["FMNIST_DEVICE"])
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_seed(seed=0):
    """Seed Python, NumPy (when installed) and PyTorch so a run can be repeated."""
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:
        pass


def _progress(iterable, desc, total, enabled):
    # tqdm.auto: a widget in JupyterLab, a text bar in a terminal; the bar goes away when done
    return tqdm(
        iterable,
        desc=desc,
        total=total,
        leave=False,
        disable=not enabled,
        file=sys.stdout,
        dynamic_ncols=True,
    )


def train_epoch(
    model,
    loader,
    loss_fn,
    optimizer,
    scheduler=None,
    *,
    target_fn=None,
    device=None,
    progress=True,
    desc="train",
):
    """One pass over ``loader``: forward, loss, backward, step, zero_grad. Returns the mean loss.

    ``target_fn`` turns the labels into what ``loss_fn`` expects (e.g. one-hot floats for MSE).
    A scheduler given here is stepped after every batch; step an epoch scheduler yourself.
    """
    device = device or next(model.parameters()).device
    model.train()
    total, count = torch.zeros((), device=device), 0
    bar = _progress(loader, desc, len(loader), progress)
    for i, (X, y) in enumerate(bar):
        X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = loss_fn(model(X), target_fn(y) if target_fn else y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if scheduler is not None:
            scheduler.step()
        total += loss.detach() * len(y)  # summed on the device: no sync per batch
        count += len(y)
        if progress and i % 100 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}")
    return (total / count).item()


@torch.no_grad()
def evaluate(model, loader, loss_fn=None, *, target_fn=None, device=None):
    """Mean loss (``nan`` without ``loss_fn``) and accuracy of ``model`` over ``loader``."""
    device = device or next(model.parameters()).device
    model.eval()
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    count = 0
    for X, y in loader:
        X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
        logits = model(X)
        if loss_fn is not None:
            total_loss += loss_fn(logits, target_fn(y) if target_fn else y) * len(y)
        correct += (logits.argmax(1) == y).sum()
        count += len(y)
    loss = (total_loss / count).item() if loss_fn is not None else float("nan")
    return loss, correct.item() / count


EVAL_NAMES = {"test": "测试", "val": "验证"}


def fit(
    model,
    train_loader,
    eval_loader,
    loss_fn,
    optimizer,
    epochs,
    *,
    scheduler=None,
    scheduler_per_batch=False,
    target_fn=None,
    progress=True,
    verbose=True,
    eval_name="test",
):
    """Train for ``epochs`` epochs and evaluate on ``eval_loader`` after each one.

    Returns the history: a list with one dict per epoch with keys ``epoch``, ``train_loss``,
    ``{eval_name}_loss``, ``{eval_name}_acc`` and ``seconds``; ``eval_name`` is ``"test"`` (the
    default) or ``"val"`` when ``eval_loader`` holds validation data. A scheduler is stepped once
    per epoch (after the optimizer steps), or after each batch with ``scheduler_per_batch=True``;
    ``ReduceLROnPlateau`` is stepped with the evaluation loss.
    """
    if eval_name not in EVAL_NAMES:
        raise ValueError(
            f"eval_name 只能是 test 或 val / eval_name must be 'test' or 'val', got {eval_name!r}"
        )
    zh = EVAL_NAMES[eval_name]
    history = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        train_loss = train_epoch(
            model,
            train_loader,
            loss_fn,
            optimizer,
            scheduler if scheduler_per_batch else None,
            target_fn=target_fn,
            progress=progress,
            desc=f"epoch {epoch}/{epochs}",
        )
        test_loss, test_acc = evaluate(model, eval_loader, loss_fn, target_fn=target_fn)
        if scheduler is not None and not scheduler_per_batch:
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(test_loss)
            else:
                scheduler.step()
        history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                f"{eval_name}_loss": test_loss,
                f"{eval_name}_acc": test_acc,
                "seconds": time.perf_counter() - start,
            }
        )
        if verbose:
            print(
                f"epoch {epoch:>2}: 训练损失 / train loss {train_loss:.4f}  "
                f"{zh}损失 / {eval_name} loss {test_loss:.4f}  "
                f"{zh}准确率 / {eval_name} acc {100 * test_acc:.1f}%  "
                f"({history[-1]['seconds']:.1f} s)"
            )
    return history
