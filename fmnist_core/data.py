"""Fashion-MNIST: one verified cache for every lesson, and two ways to batch it.

torchvision owns the facts about the data set (``FashionMNIST.resources``: the four files and
their MD5s; ``.mirrors``; ``.classes``) and the tools to check and unpack the files. This module
adds what the course needs around them: one cache folder for every lesson (``FMNIST_DATA_DIR``,
default ``~/.cache/fmnist_core``); ``FMNIST_MIRROR``, tried first: a folder holding the four
``.gz`` files (read, never written: it may be read-only) or a base URL; a corrupt file set aside
as ``*.corrupt``, never used; and a bilingual error that names every place tried.
"""

import os
import shutil
import sys
import tempfile
import urllib.request
from functools import lru_cache
from pathlib import Path

import torch
from torchvision import datasets, transforms
from torchvision.datasets.utils import calculate_md5, check_integrity, extract_archive

CLASSES_EN = list(datasets.FashionMNIST.classes)  # "T-shirt/top", "Trouser", ...
CLASSES_ZH = [
    "T恤/上衣",
    "裤子",
    "套头衫",
    "连衣裙",
    "外套",
    "凉鞋",
    "衬衫",
    "运动鞋",
    "包",
    "短靴",
]
GZ_MD5 = dict(datasets.FashionMNIST.resources)  # "train-images-idx3-ubyte.gz" -> its MD5
# the MD5 of each file unpacked from its .gz (torchvision does not check these): a copy damaged
# after unpacking is unpacked again
UNPACKED_MD5 = {
    "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
}
OFFICIAL_URLS = list(datasets.FashionMNIST.mirrors)  # tried after FMNIST_MIRROR, in this order


class DataNotFoundError(RuntimeError):
    """Fashion-MNIST could not be had from any place we know."""


def data_dir():
    """The cache folder shared by all lessons (``FMNIST_DATA_DIR`` overrides it)."""
    env = os.environ.get("FMNIST_DATA_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "fmnist_core"


def raw_dir():
    """Where torchvision looks for the files: ``<data_dir>/FashionMNIST/raw``."""
    return data_dir() / "FashionMNIST" / "raw"


def _sources(name):
    """Every place to fetch ``name`` from, ``FMNIST_MIRROR`` first, as ``(where, url)``."""
    mirror = os.environ.get("FMNIST_MIRROR", "").strip()
    if mirror and "://" not in mirror:  # a folder: one more URL (file://), reported by its path
        path = Path(mirror).expanduser().absolute() / name
        first = [(str(path), path.as_uri())]
    else:
        first = [(f"{mirror.rstrip('/')}/{name}",) * 2] if mirror else []
    return first + [(f"{base.rstrip('/')}/{name}",) * 2 for base in OFFICIAL_URLS]


def _set_aside(path):
    """Keep a corrupt file beside the cache as ``*.corrupt`` (reported, never used, not lost)."""
    bad = path.with_name(path.name + ".corrupt")
    os.replace(path, bad)
    print(
        f"[fmnist_core] 校验失败，已移到 {bad}，重新获取 / checksum mismatch, moved to {bad}, "
        f"fetching a fresh copy",
        file=sys.stderr,
    )


def _fetch(name, dst):
    """Put a verified copy of ``name`` at ``dst``; returns the list of (place, why it failed)."""
    tried = []
    for where, url in _sources(name):
        part = dst.with_name(f"{dst.name}.{os.getpid()}.part")
        try:
            with urllib.request.urlopen(url, timeout=30) as r, open(part, "wb") as f:
                shutil.copyfileobj(r, f)
            got = calculate_md5(part)
            if got != GZ_MD5[name]:
                raise ValueError(f"MD5 {got} != {GZ_MD5[name]} (损坏或不完整 / corrupt or partial)")
            os.replace(part, dst)
            return tried + [(where, "ok")]
        except Exception as e:  # noqa: BLE001 - every reason is reported below
            tried.append((where, f"{type(e).__name__}: {e}"))
            part.unlink(missing_ok=True)
    return tried


def _unpack(gz):
    """Unpack ``gz`` beside itself unless a copy with the right MD5 is there already."""
    out = gz.with_suffix("")
    if check_integrity(out, UNPACKED_MD5[out.name]):
        return
    if out.exists():
        _set_aside(out)
    with tempfile.TemporaryDirectory(dir=gz.parent) as tmp:  # the file appears whole or not at all
        extract_archive(gz, tmp)
        if not check_integrity(Path(tmp) / out.name, UNPACKED_MD5[out.name]):
            raise DataNotFoundError(
                f"解压后的 {out.name} 校验失败 / {out.name} fails its checksum after unpacking"
            )
        os.replace(Path(tmp) / out.name, out)


def ensure_data(verbose=False):
    """Make sure the four files are in the cache with the right MD5; return the cache folder.

    Raises ``DataNotFoundError`` (bilingual, naming every place tried) when they cannot be had.
    """
    raw = raw_dir()
    raw.mkdir(parents=True, exist_ok=True)
    failures = {}
    for name, md5 in GZ_MD5.items():
        path = raw / name
        if path.exists() and not check_integrity(path, md5):
            _set_aside(path)
        if not path.exists():
            tried = _fetch(name, path)
            if verbose:
                for where, why in tried:
                    print(f"  {name}: {where}: {why}")
            if not path.exists():
                failures[name] = tried
                continue
        _unpack(path)
    if failures:
        raise DataNotFoundError(_missing_message(raw, failures))
    return data_dir()


def _missing_message(raw, failures):
    lines = [
        "找不到 Fashion-MNIST 数据 / Fashion-MNIST could not be found.",
        f"缓存目录 / cache folder: {raw}",
        "尝试过的位置 / places tried:",
    ]
    for name, tried in failures.items():
        lines.append(f"  {name}:")
        lines += [f"    - {where}: {why}" for where, why in tried] or ["    - (无 / none)"]
    lines += [
        "怎么办 / what to do:",
        "  1. 把四个官方 .gz 文件放进一个文件夹，然后设置 FMNIST_MIRROR=该文件夹；",
        "     put the four official .gz files in a folder and set FMNIST_MIRROR=that folder;",
        "  2. 或设置 FMNIST_MIRROR=一个镜像网址（以 / 结尾的目录地址）；",
        "     or set FMNIST_MIRROR=the base URL of a mirror;",
        f"  3. 或直接把它们复制到 / or copy them straight into: {raw}",
        "  然后运行 / then run: python -m fmnist_core data",
    ]
    return "\n".join(lines)


def class_name(i, lang="both"):
    """The name of class ``i`` as text to print: ``lang`` "zh", "en" or "both" ("衬衫 Shirt").

    In a figure use ``fc.class_label(i)``: it falls back to English where no font draws Chinese.
    """
    i = int(i)
    return {"zh": CLASSES_ZH[i], "en": CLASSES_EN[i]}.get(lang, f"{CLASSES_ZH[i]} {CLASSES_EN[i]}")


def load_datasets(transform=None):
    """The torchvision training and test sets (``ToTensor`` unless another transform is given)."""
    root = ensure_data()
    transform = transform or transforms.ToTensor()
    train = datasets.FashionMNIST(root, train=True, download=False, transform=transform)
    test = datasets.FashionMNIST(root, train=False, download=False, transform=transform)
    return train, test


VAL_SIZE, SPLIT_SEED = 10_000, 0  # the validation split: 10,000 of the 60,000 training images


def split_indices(n=60_000, val_size=VAL_SIZE, seed=SPLIT_SEED):
    """The fixed split of the training set: ``(train_idx, val_idx)``, both sorted.

    The same seed gives the same split on every machine and in every lesson, so a choice made on
    the validation images is never made on images the model trained on.
    """
    if not 0 < val_size < n:
        raise ValueError(
            f"val_size 必须在 0 与 {n} 之间 / val_size must be between 0 and {n}, got {val_size}"
        )
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return order[val_size:].sort().values, order[:val_size].sort().values


def get_dataloaders(batch_size=64, num_workers=0, val_size=0):
    """The original tutorial's way: ``DataLoader`` over ``ToTensor`` images, training set shuffled.

    Returns ``(train, test)``; with ``val_size > 0``, ``(train, val, test)``, where ``val`` holds
    ``val_size`` training images (``split_indices``) that ``train`` no longer contains.
    """
    train, test = load_datasets()
    loader = torch.utils.data.DataLoader
    test_loader = loader(test, batch_size=batch_size, num_workers=num_workers)
    if not val_size:
        return loader(
            train, batch_size=batch_size, shuffle=True, num_workers=num_workers
        ), test_loader
    tr, va = split_indices(len(train), val_size)
    return (
        loader(
            torch.utils.data.Subset(train, tr.tolist()),
            batch_size=batch_size,
            shuffle=True,
            num_workers=num_workers,
        ),
        loader(
            torch.utils.data.Subset(train, va.tolist()),
            batch_size=batch_size,
            num_workers=num_workers,
        ),
        test_loader,
    )


@lru_cache(maxsize=None)
def _tensors_cpu(train):
    ds = load_datasets()[0 if train else 1]
    # the same numbers ToTensor gives: uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [0, 1]
    return ds.data.unsqueeze(1).float().div_(255), ds.targets.clone()


def load_tensors(train=True, device="cpu"):
    """The whole training (or test) set as two tensors ``X`` (N, 1, 28, 28) and ``y`` (N,)."""
    X, y = _tensors_cpu(train)
    return X.to(device), y.to(device)


class TensorLoader:
    """The fast path: batches sliced from tensors that already hold the whole data set.

    Iterating gives ``(X, y)`` batches like a ``DataLoader``; with ``shuffle=True`` every epoch
    draws a new permutation (from ``generator`` if given, else the global seed).
    """

    def __init__(self, X, y, batch_size=64, shuffle=False, generator=None):
        if len(X) != len(y):
            raise ValueError(f"X 与 y 的长度不同 / X and y differ in length: {len(X)} != {len(y)}")
        self.X, self.y = X, y
        self.batch_size, self.shuffle, self.generator = batch_size, shuffle, generator
        self.dataset = X  # len(loader.dataset) works as with a DataLoader

    def __len__(self):
        return (len(self.X) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        X, y = self.X, self.y
        if self.shuffle:
            # one gather per epoch, then every batch is a free slice of the shuffled copy
            order = torch.randperm(len(X), generator=self.generator).to(X.device)
            X, y = X[order], y[order]
        for i in range(0, len(X), self.batch_size):
            yield X[i : i + self.batch_size], y[i : i + self.batch_size]


def get_tensor_loaders(batch_size=64, device="cpu", generator=None, val_size=0):
    """The fast path: whole-tensor loaders on ``device``, training shuffled.

    Returns ``(train, test)``; with ``val_size > 0``, ``(train, val, test)`` with the same split
    as ``get_dataloaders`` (``split_indices``).
    """
    X, y = load_tensors(True, device)
    Xt, yt = load_tensors(False, device)
    test = TensorLoader(Xt, yt, batch_size)
    if not val_size:
        return TensorLoader(X, y, batch_size, shuffle=True, generator=generator), test
    tr, va = (i.to(X.device) for i in split_indices(len(X), val_size))
    return (
        TensorLoader(X[tr], y[tr], batch_size, shuffle=True, generator=generator),
        TensorLoader(X[va], y[va], batch_size),
        test,
    )
