"""Render several reports in parallel worker processes (WeasyPrint is CPU-bound).

``render_many`` splits the reports over ``workers`` fresh Python processes
(``python -c "from reports.batch import main; ..." IN OUT``, not ``-m``, which would run
this module a second time beside the package's import of it), each rendering its share one
after another; a fresh interpreter avoids forking a parent that holds database and
thread-pool state.
"""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

from reports.model import RenderedReport, ReportInput
from reports.render import render_report

Job = tuple[ReportInput, Path]

_WORKER = "import sys; from reports.batch import main; main(sys.argv[1:])"


def _portable(inp: ReportInput) -> dict:
    """The input's fields as plain values (its read-only mapping does not pickle)."""
    fields = {f.name: getattr(inp, f.name) for f in dataclasses.fields(inp)}
    fields["definitions"] = dict(fields["definitions"])
    return fields


def render_many(jobs: list[Job], workers: int) -> list[RenderedReport]:
    """Render every ``(input, out_dir)`` job; results come back in the jobs' order."""
    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        return [render_report(inp, out) for inp, out in jobs]
    order = [list(range(k, len(jobs), workers)) for k in range(workers)]
    results: list[RenderedReport | None] = [None] * len(jobs)
    with tempfile.TemporaryDirectory(prefix="bt-reports-") as tmp:
        running = []
        for k, indices in enumerate(order):
            src, dst = Path(tmp) / f"jobs-{k}.pkl", Path(tmp) / f"done-{k}.pkl"
            src.write_bytes(pickle.dumps([(_portable(jobs[i][0]), jobs[i][1]) for i in indices]))
            cmd = [sys.executable, "-c", _WORKER, str(src), str(dst)]
            running.append((subprocess.Popen(cmd), indices, dst))
        failed = [proc.wait() for proc, _, _ in running]
        if any(failed):
            raise RuntimeError(f"rendering reports failed in {sum(map(bool, failed))} worker(s)")
        for _, indices, dst in running:
            for i, result in zip(indices, pickle.loads(dst.read_bytes()), strict=True):
                results[i] = result
    return [r for r in results if r is not None]


def main(argv: list[str]) -> None:
    """Worker entry point: render the pickled jobs of ``argv[0]``, pickle results to ``argv[1]``."""
    jobs: list[tuple[dict, Path]] = pickle.loads(Path(argv[0]).read_bytes())
    done = [render_report(ReportInput(**fields), out) for fields, out in jobs]
    Path(argv[1]).write_bytes(pickle.dumps(done))


if __name__ == "__main__":
    main(sys.argv[1:])
