"""write_atomic and sweep_temporaries against real processes and a real file system."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from reports import sweep_temporaries, write_atomic

#: A writer that stalls in ``os.<argv[3]>`` (after writing that call's first argument to
#: ``argv[2]``, so the test knows it got there) while writing ``argv[1]``.
CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    import reports.render

    def stall(first, *rest):
        Path(sys.argv[2]).write_text(str(first))
        time.sleep(60)

    setattr(reports.render.os, sys.argv[3], stall)
    reports.render.write_atomic(Path(sys.argv[1]), b"new" * 100_000)
    """
)


def _kill_writer_stalled_in(call: str, target: Path, ready: Path) -> str:
    """Run :data:`CHILD` on ``target``, SIGKILL it once it stalls in ``os.<call>``; returns
    the first argument of that call."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), str(ready), call],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() or not ready.read_text():
            assert child.poll() is None, "the writer exited before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    return ready.read_text()


def test_a_writer_killed_mid_write_leaves_the_old_file_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "report.pdf"
    target.write_bytes(b"old")
    _kill_writer_stalled_in("fsync", target, tmp_path / "ready")
    assert [p.name for p in out.iterdir()] == ["report.pdf"]
    assert target.read_bytes() == b"old"


def test_write_atomic_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "metrics.csv"
    target.write_bytes(b"old")
    write_atomic(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.csv"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_sweep_removes_only_old_orphaned_temporaries(tmp_path: Path) -> None:
    orphan = tmp_path / ".report.pdf.bpmd4dh5.tmp"
    fresh = tmp_path / ".metrics.csv.0a1b2c3d.tmp"
    other = tmp_path / "notes.tmp"
    report = tmp_path / "report.pdf"
    for path in (orphan, fresh, other, report):
        path.write_bytes(b"x")
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    os.utime(other, (old, old))
    removed = sweep_temporaries(tmp_path)
    assert [p for p in removed if p.parent == tmp_path] == [orphan]  # (+ scratch orphans)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [fresh.name, other.name, report.name]
    )
    assert sweep_temporaries(tmp_path / "missing") == []


def test_a_writer_killed_between_naming_and_renaming_leaves_nothing_among_the_reports(
    tmp_path: Path,
) -> None:
    """The finished file is named in a private scratch folder of the same file system."""
    out = tmp_path / "out"
    out.mkdir()
    scratch = Path(tempfile.gettempdir()) / f"bt-impact-{os.getuid()}"
    if os.stat(tempfile.gettempdir()).st_dev != out.stat().st_dev:
        pytest.skip("the system temp folder is on another file system than tmp_path")
    target = out / "report.pdf"
    target.write_bytes(b"old")
    # os.replace(temporary name, target): killed after naming, before renaming.
    named = Path(_kill_writer_stalled_in("replace", target, tmp_path / "ready"))
    try:
        assert named.parent == scratch
        assert scratch.stat().st_mode & 0o777 == 0o700  # nobody else can read the orphan
        assert named.read_bytes() == b"new" * 100_000  # whole, just never renamed
        assert [p.name for p in out.iterdir()] == ["report.pdf"]
        assert target.read_bytes() == b"old"
        # The next writer's sweep of the reports folder removes the orphan once it is old.
        old = time.time() - 3600
        os.utime(named, (old, old))
        assert named in sweep_temporaries(out)
        assert not named.exists()
    finally:
        named.unlink(missing_ok=True)


def test_a_folder_on_another_file_system_names_its_temporaries_beside_the_target() -> None:
    """A rename cannot cross file systems: the scratch folder is not used for /dev/shm."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == os.stat(tempfile.gettempdir()).st_dev:
        pytest.skip("no tmpfs on another device than the system temp folder")
    folder = Path(tempfile.mkdtemp(dir=shm))
    try:
        target = folder / "metrics.csv"
        write_atomic(target, b"one")
        write_atomic(target, b"two")
        assert target.read_bytes() == b"two"
        assert [p.name for p in folder.iterdir()] == ["metrics.csv"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
