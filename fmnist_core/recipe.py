"""The capstone recipe: the unchanged course MLP trained from the tutorial's 65% to 90%.

Each piece is one small function, taught in lesson 10: standardized inputs, whole-batch
augmentation, AdamW parameter groups (no decay on biases), an EMA of the weights, and one
training loop that steps ``OneCycleLR`` after every batch and uses label smoothing. The lesson's
ablation (benchmarks/capstone_ablation.py) keeps augmentation and the EMA out of the recipe at
its budget of 10 epochs: both are switches of ``train_recipe``, off by default.
"""

import math
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from .data import TensorLoader, get_tensor_loaders
from .train import evaluate


def pixel_stats(X):
    """The mean and standard deviation of every pixel of the images ``X``, as two floats.

    Computed on the training images only: the validation and test images are then scaled with
    the same two numbers. Taught in lesson 10.
    """
    return X.mean().item(), X.std().item()


def standardized(loader, mean, std):
    """A ``TensorLoader`` like ``loader`` whose images are ``(X - mean) / std``.

    Done once on the whole tensor, so standardizing costs nothing per batch. Taught in lesson 10.
    """
    return TensorLoader(
        (loader.X - mean) / std, loader.y, loader.batch_size, loader.shuffle, loader.generator
    )


def get_loaders(batch_size=128, val_size=10_000, standardize=True, device="cpu"):
    """``fc.get_tensor_loaders`` with the images standardized by the training images' statistics.

    Returns ``(train, val, test)`` (``(train, test)`` with ``val_size=0``, the final retraining
    on all 60,000 images). Taught in lesson 10.
    """
    loaders = get_tensor_loaders(batch_size, device=device, val_size=val_size)
    if not standardize:
        return loaders
    mean, std = pixel_stats(loaders[0].X)
    return tuple(standardized(loader, mean, std) for loader in loaders)


def augment_batch(X, max_shift=2, flip=True, fill=None, generator=None):
    """A new batch: each image of ``X`` (N, 1, H, W) mirrored left-right with probability 1/2
    and shifted by its own random -max_shift .. max_shift pixels in each direction.

    The empty border takes ``fill`` (default: the batch's darkest value, the background). One
    padded copy and one gather for the whole batch, no loop over images. Taught in lesson 10.
    """
    n, _, h, w = X.shape
    s = max_shift
    fill = X.amin().item() if fill is None else fill
    padded = F.pad(X, (s, s, s, s), value=fill)  # (n, 1, h + 2s, w + 2s)
    dy = torch.randint(0, 2 * s + 1, (n, 1), generator=generator).to(X.device)
    dx = torch.randint(0, 2 * s + 1, (n, 1), generator=generator).to(X.device)
    rows = dy + torch.arange(h, device=X.device)  # (n, h): the rows each image keeps
    cols = dx + torch.arange(w, device=X.device)  # (n, w): the columns each image keeps
    if flip:
        mirror = torch.rand(n, 1, generator=generator).to(X.device) < 0.5
        cols = torch.where(mirror, cols.flip(1), cols)  # read the columns right to left
    # one index per output pixel into the flattened padded batch / 一次取出整个批次
    hp, wp = h + 2 * s, w + 2 * s
    first = torch.arange(n, device=X.device)[:, None, None] * (hp * wp)
    return torch.take(padded, first + rows[:, :, None] * wp + cols[:, None, :]).unsqueeze(1)


def param_groups(model, weight_decay):
    """Two parameter groups for AdamW: weight matrices decay, biases (1-D) do not.

    Taught in lesson 10.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    return [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]


def ema_model(model, decay):
    """An ``AveragedModel`` that keeps the exponential moving average of ``model``'s weights:
    ``ema ← decay · ema + (1 − decay) · w`` after each call of ``update_parameters(model)``.

    Taught in lesson 10.
    """
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))


def train_recipe(
    model,
    train_loader,
    epochs,
    *,
    lr=2e-3,
    weight_decay=0.05,
    decay_biases=False,
    label_smoothing=0.1,
    ema_decay=None,
    schedule="onecycle",
    cycle_momentum=True,
    augment=False,
    eval_loader=None,
    eval_name="val",
):
    """Train ``model`` with the recipe; returns ``(final_model, history)``.

    AdamW (``lr``, ``weight_decay`` on weights only unless ``decay_biases``), ``OneCycleLR``
    with ``max_lr=lr`` stepped after every batch (with ``cycle_momentum=False`` it leaves
    β1 at 0.9 instead of cycling it between 0.95 and 0.85; ``schedule="constant"``: no
    schedule; ``schedule="cosine"``: lesson 04's ``CosineAnnealingLR(T_max=epochs)`` from
    ``lr``, stepped after every epoch) and cross-entropy with ``label_smoothing``. Off by default: ``augment`` (``augment_batch`` on
    every training batch, or ``augment`` itself when it is a function) and ``ema_decay`` (an
    EMA of the weights, updated after every batch; the final model is then the EMA).
    With ``eval_loader`` each epoch ends with an evaluation of the final model; the history has
    one dict per epoch (``epoch``, ``train_loss``, ``{eval_name}_acc``, ``seconds``).
    Taught in lesson 10.
    """
    groups = model.parameters() if decay_biases else param_groups(model, weight_decay)
    optimizer = torch.optim.AdamW(groups, lr=lr, weight_decay=weight_decay)
    scheduler, per_epoch = None, None
    if schedule == "onecycle":
        total = epochs * len(train_loader)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, total_steps=total, cycle_momentum=cycle_momentum
        )
    elif schedule == "cosine":
        per_epoch = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    elif schedule != "constant":
        raise ValueError(
            f"schedule 只能是 onecycle、cosine 或 constant / unknown schedule {schedule!r}"
        )
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    ema = ema_model(model, ema_decay) if ema_decay else None
    history = []
    for epoch in range(1, epochs + 1):
        start, total_loss, count = time.perf_counter(), 0.0, 0
        model.train()
        for X, y in train_loader:
            if augment:
                X = augment(X) if callable(augment) else augment_batch(X)
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if scheduler is not None:
                scheduler.step()
            if ema is not None:
                ema.update_parameters(model)
            total_loss += loss.item() * len(y)
            count += len(y)
        if per_epoch is not None:
            per_epoch.step()
        final = ema.module if ema is not None else model
        row = {"epoch": epoch, "train_loss": total_loss / count}
        if eval_loader is not None:
            row[f"{eval_name}_acc"] = evaluate(final, eval_loader)[1]
        row["seconds"] = time.perf_counter() - start
        if not math.isfinite(row["train_loss"]):
            raise FloatingPointError("训练损失发散 / the training loss diverged")
        history.append(row)
    return final, history
