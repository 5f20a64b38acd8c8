"""Data Docs sites are built outside BT_REPORTS and moved in whole."""

import errno
import os
from pathlib import Path

import pytest

from pipelines.defs.ingest import checks


def _site(folder: Path) -> Path:
    (folder / "expectations").mkdir(parents=True)
    (folder / "index.html").write_text("<html></html>")
    (folder / "expectations" / "core_feedback.html").write_text("<html>x</html>")
    return folder


def test_a_site_on_the_same_file_system_is_renamed(tmp_path: Path) -> None:
    build, target = _site(tmp_path / "build"), tmp_path / "reports" / "feedback-1"
    target.parent.mkdir()
    checks.move_into_place(build, target)
    assert not build.exists()
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*.html")) == [
        "expectations/core_feedback.html",
        "index.html",
    ]


def test_across_file_systems_the_site_is_copied_then_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build, target = _site(tmp_path / "build"), tmp_path / "reports" / "feedback-1"
    target.parent.mkdir()
    real_rename, seen = os.rename, []

    def rename(src: str | Path, dst: str | Path) -> None:
        seen.append((Path(src).name, Path(dst).name))
        if Path(src) == build:  # what a rename from another file system does
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_rename(src, dst)

    monkeypatch.setattr(checks.os, "rename", rename)
    checks.move_into_place(build, target)
    assert seen == [("build", "feedback-1"), (".feedback-1.tmp", "feedback-1")]
    assert (target / "expectations" / "core_feedback.html").read_text() == "<html>x</html>"
    assert sorted(p.name for p in target.parent.iterdir()) == ["feedback-1"]


def test_a_failed_copy_leaves_no_hidden_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build, target = _site(tmp_path / "build"), tmp_path / "reports" / "feedback-1"
    target.parent.mkdir()

    def rename(src: str | Path, dst: str | Path) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    def copytree(src: Path, dst: Path) -> None:
        Path(dst).mkdir()
        (Path(dst) / "index.html").write_text("<html")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checks.os, "rename", rename)
    monkeypatch.setattr(checks.shutil, "copytree", copytree)
    with pytest.raises(OSError, match="No space"):
        checks.move_into_place(build, target)
    assert list(target.parent.iterdir()) == []
