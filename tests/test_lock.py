"""The lock (requirements-lock.txt) pins the reference environment the stored outputs were made in.

Refresh it with the command in CONTRIBUTING.md; these tests fail when it no longer matches
pyproject.toml, and check the line that tells a learner on another release what to run.
"""

import importlib.metadata
import re
import tomllib

from conftest import LOCK, ROOT, lock_pins, locked_versions, off_lock
from packaging.requirements import Requirement
from packaging.version import Version


def pins():
    return {
        name: [(Version(v), marker) for v, marker in entries]
        for name, entries in lock_pins().items()
    }


def direct_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    specs = project["dependencies"] + [s for extra in extras.values() for s in extra]
    return [Requirement(s) for s in specs]


def test_every_direct_requirement_is_pinned_within_its_range():
    locked = pins()
    for req in direct_requirements():
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in locked, f"{req.name} is not in {LOCK.name}: refresh the lock"
        for version, _marker in locked[name]:
            assert version in req.specifier, f"{req.name}=={version} is outside {req.specifier}"


def test_torch_and_torchvision_are_pinned_once():
    assert set(locked_versions()) == {"torch", "torchvision"}
    assert len(pins()["torch"]) == 1 and len(pins()["torchvision"]) == 1


def test_a_release_other_than_the_locked_one_is_named_in_one_bilingual_line(tmp_path):
    installed = importlib.metadata.version("torch").split("+")[0]
    vision = importlib.metadata.version("torchvision").split("+")[0]
    same = tmp_path / "same.txt"
    same.write_text(f"torch=={installed}\n    # via x\ntorchvision=={vision}\n", encoding="utf-8")
    assert off_lock(same) == ""
    other = tmp_path / "other.txt"
    other.write_text(f"torch==0.0.1\ntorchvision=={vision}\n", encoding="utf-8")
    line = off_lock(other)
    assert "\n" not in line and "torch 0.0.1" in line and f"torch {installed}" in line
    assert "pytest --nbval-lax" in line and "注意" in line and "note:" in line


def test_the_readme_names_the_locked_releases(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    torch_v, vision_v = locked_versions()["torch"], locked_versions()["torchvision"]
    assert f"torch=={torch_v} torchvision=={vision_v} --index-url" in readme  # the CPU build
    assert f"torch {torch_v}、torchvision {vision_v}" in readme
    assert f"torch {torch_v}, torchvision\n   {vision_v}" in readme or (
        f"torch {torch_v}, torchvision {vision_v}" in readme
    )
