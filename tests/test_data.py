"""The data cache: MD5 checks, mirrors, corrupt files, the bilingual error, the fast path."""

import gzip
import hashlib
import os
import stat

import pytest
import torch
from torchvision.datasets import FashionMNIST
from torchvision.datasets.utils import calculate_md5

import fmnist_core as fc
from fmnist_core import data


@pytest.fixture
def fake_files(tmp_path, monkeypatch):
    """Four small fake .gz files in a read-only mirror folder, with the MD5 tables pointing at
    them: ``{name: (MD5 of the .gz, MD5 of the unpacked file)}``."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    table = {}
    for k, name in enumerate(data.GZ_MD5):
        raw = bytes([k]) * (100 + k)
        gz = gzip.compress(raw, mtime=0)
        (mirror / name).write_bytes(gz)
        table[name] = (hashlib.md5(gz).hexdigest(), hashlib.md5(raw).hexdigest())
    for f in mirror.iterdir():
        f.chmod(stat.S_IREAD)
    mirror.chmod(stat.S_IREAD | stat.S_IEXEC)
    monkeypatch.setattr(data, "GZ_MD5", {name: gz for name, (gz, _) in table.items()})
    monkeypatch.setattr(
        data, "UNPACKED_MD5", {name.removesuffix(".gz"): raw for name, (_, raw) in table.items()}
    )
    monkeypatch.setattr(data, "OFFICIAL_URLS", [(tmp_path / "no_such_server").as_uri() + "/"])
    monkeypatch.setenv("FMNIST_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FMNIST_MIRROR", str(mirror))
    yield mirror, table
    mirror.chmod(stat.S_IRWXU)


def test_copies_from_read_only_mirror_and_verifies(fake_files, tmp_path):
    mirror, table = fake_files
    assert data.ensure_data() == tmp_path / "cache"
    for name, (gz_md5, raw_md5) in table.items():
        assert calculate_md5(data.raw_dir() / name) == gz_md5
        assert calculate_md5(data.raw_dir() / name.removesuffix(".gz")) == raw_md5
    assert sorted(os.listdir(mirror)) == sorted(table)  # the mirror is left untouched


def test_corrupt_cached_file_is_set_aside_and_fetched_again(fake_files, capsys):
    _, table = fake_files
    data.ensure_data()
    name = "train-images-idx3-ubyte.gz"
    target = data.raw_dir() / name
    target.write_bytes(target.read_bytes()[:10])  # a partial download
    data.ensure_data()
    assert calculate_md5(target) == table[name][0]
    assert (data.raw_dir() / (name + ".corrupt")).read_bytes() != target.read_bytes()
    err = capsys.readouterr().err
    assert "校验失败" in err and "checksum mismatch" in err


def test_corrupt_unpacked_file_is_unpacked_again(fake_files):
    _, table = fake_files
    data.ensure_data()
    unpacked = data.raw_dir() / "t10k-labels-idx1-ubyte"
    unpacked.write_bytes(b"garbage")
    data.ensure_data()
    assert calculate_md5(unpacked) == table["t10k-labels-idx1-ubyte.gz"][1]


def test_corrupt_mirror_file_is_never_used(fake_files, monkeypatch):
    mirror, table = fake_files
    name = "t10k-images-idx3-ubyte.gz"
    monkeypatch.setitem(data.GZ_MD5, name, "0" * 32)  # the mirror's copy now mismatches
    with pytest.raises(data.DataNotFoundError) as info:
        data.ensure_data()
    msg = str(info.value)
    assert "MD5" in msg and str(mirror / name) in msg
    assert not (data.raw_dir() / name).exists()
    assert not list(data.raw_dir().glob("*.part"))


def test_no_data_anywhere_gives_bilingual_error_naming_every_place(
    fake_files, tmp_path, monkeypatch
):
    empty = tmp_path / "empty_mirror"
    empty.mkdir()
    monkeypatch.setenv("FMNIST_MIRROR", str(empty))
    with pytest.raises(data.DataNotFoundError) as info:
        data.ensure_data()
    msg = str(info.value)
    assert "找不到 Fashion-MNIST" in msg and "could not be found" in msg
    assert "怎么办" in msg and "what to do" in msg and "FMNIST_MIRROR" in msg
    for name in data.GZ_MD5:
        assert str(empty / name) in msg  # the mirror was tried
        assert (tmp_path / "no_such_server").as_uri() + "/" + name in msg  # so was the official URL
    assert str(data.raw_dir()) in msg


def test_mirror_url_is_tried_first(fake_files, monkeypatch):
    mirror, table = fake_files
    monkeypatch.setenv("FMNIST_MIRROR", mirror.as_uri())  # a base URL instead of a folder
    data.ensure_data()
    assert all(calculate_md5(data.raw_dir() / n) == table[n][0] for n in table)


def test_cli_data_reports_the_error(fake_files, tmp_path, monkeypatch, capsys):
    from fmnist_core.__main__ import main

    monkeypatch.setenv("FMNIST_MIRROR", str(tmp_path / "nowhere"))
    assert main(["data"]) == 2
    assert "找不到 Fashion-MNIST" in capsys.readouterr().err


# --- the real data set (FMNIST_MIRROR points at it in CI) ---


def test_real_data_and_fast_path_match_to_tensor():
    assert set(data.UNPACKED_MD5) == {name.removesuffix(".gz") for name in data.GZ_MD5}
    train, test = fc.load_datasets()
    assert (len(train), len(test)) == (60000, 10000)
    X, y = fc.load_tensors(train=False)
    assert X.shape == (10000, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    for i in [0, 1234, 9999]:
        torch.testing.assert_close(X[i], test[i][0])
        assert y[i].item() == test[i][1]


def test_tensor_loader_batches():
    X = torch.arange(130, dtype=torch.float32).view(130, 1)
    y = torch.arange(130)
    plain = list(fc.TensorLoader(X, y, batch_size=64))
    assert [len(b[1]) for b in plain] == [64, 64, 2]
    assert torch.equal(torch.cat([b[1] for b in plain]), y)
    loader = fc.TensorLoader(
        X, y, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    epoch1 = torch.cat([b[1] for b in loader])
    epoch2 = torch.cat([b[1] for b in loader])
    assert torch.equal(epoch1.sort().values, y) and torch.equal(epoch2.sort().values, y)
    assert not torch.equal(epoch1, epoch2) and not torch.equal(epoch1, y)  # a new order each epoch
    for Xb, yb in loader:
        assert torch.equal(Xb.view(-1).long(), yb)  # images stay with their labels
    assert len(loader) == 3
    with pytest.raises(ValueError, match="differ in length"):
        fc.TensorLoader(X, y[:5])


def test_class_names():
    assert len(fc.CLASSES_ZH) == len(fc.CLASSES_EN) == 10
    assert fc.CLASSES_EN == FashionMNIST.classes  # torchvision's names, in its order
    assert fc.class_name(6) == "衬衫 Shirt" and fc.class_name(6, "en") == "Shirt"


def test_validation_split_is_fixed_disjoint_and_the_same_on_both_paths():
    tr, va = fc.split_indices()
    assert len(tr) == 50_000 and len(va) == 10_000
    assert not set(tr.tolist()) & set(va.tolist())
    tr2, va2 = fc.split_indices()
    assert torch.equal(tr, tr2) and torch.equal(va, va2)
    assert not torch.equal(va, fc.split_indices(seed=1)[1])
    with pytest.raises(ValueError, match="val_size"):
        fc.split_indices(val_size=0)


def test_both_loaders_give_the_same_validation_images():
    train, val, test = fc.get_tensor_loaders(batch_size=1000, val_size=10_000)
    assert (
        len(train.dataset) == 50_000 and len(val.dataset) == 10_000 and len(test.dataset) == 10_000
    )
    dl_train, dl_val, _ = fc.get_dataloaders(batch_size=1000, val_size=10_000)
    assert len(dl_train.dataset) == 50_000
    X_fast, y_fast = next(iter(val))
    X_dl, y_dl = next(iter(dl_val))
    torch.testing.assert_close(X_fast, X_dl)
    assert torch.equal(y_fast, y_dl)
