"""Optimal assignment: a maximum-weight bipartite matching where people may stay unmatched.

Solver
------
Each city is solved on its own, as a sparse graph holding only its eligible pairs,
with SciPy's ``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` (LAPJVsp,
the sparse shortest-augmenting-path algorithm of Jonker and Volgenant). "Nobody has
to be matched" is encoded exactly with one dummy column per row: with ``C = 1 +
max(w)``, a real edge costs ``C - w`` and row ``r``'s dummy column costs ``C``. Every
row is saturated (its dummy is always free), so a full matching exists, and a full
matching of cost ``n C - sum(w of real edges)`` is minimal exactly when its real
edges form a maximum-weight matching. Costs stay in ``[1, C]``, so no explicit zero
reaches SciPy, and rounding costs at most a few ulps per row (far below 1e-9).
People without any eligible pair are dropped before solving.

Why this solver: it is exact (no greedy pass, no top-k pruning), proven and
maintained, and works on the sparse eligible graph, so memory is ``O(E + N + L)``
for ``E`` eligible pairs instead of the ``O(N L)`` of a dense
``scipy.optimize.linear_sum_assignment`` (which reaches the same optimum, and is
used to check this one, but took 22 s where LAPJVsp takes 1 s on an 8,340 x 6,966
city with 12 million eligible pairs). Worst case LAPJVsp takes ``O(n E)`` time for
``n`` rows (one shortest augmenting path per row); most rows of a score graph find
a free column at once. Rows that end *unmatched* are the costly ones: each needs a
search over everything it can reach by alternating paths. Which side should be the
rows is therefore chosen from a maximum-cardinality matching (Hopcroft-Karp,
``O(E sqrt(N + L))``, a few hundredths of a second here): a side that can be fully
matched goes to the rows; otherwise the side whose unmatched vertices reach fewer
edges does (typically newcomers who speak only a language few locals speak). The
choice changes only the speed, never the optimum. Cities are independent, so no
graph spans the country; splitting a city further into connected components would
not save work, as augmenting paths never leave their component.

Parallelism: cities are independent, so each city (building its eligible pairs and
solving them) is one work item for a pool of processes (``spawn``: threads would
share the GIL held by the Cython solver, and forking a process that runs DuckDB or
Polars threads is unsafe). A work item receives only the city's NumPy arrays.
Largest cities go first so that the processes finish together; results are put back
in city order, so the output does not depend on the number of processes. Small
inputs are solved in this process, as starting the pool takes about a second. As
with any spawned pool, the workers import the caller's ``__main__`` module, so a
calling script needs an ``if __name__ == "__main__":`` guard.

Determinism: inputs are sorted by ``participant_id`` before any index is assigned,
and every step (including the orientation choice) is deterministic, so the same
input in any row order gives the same pairs. When several matchings are optimal
(ties), the one returned is an arbitrary but fixed one; with ``min_score <= 0`` a
pair of score 0 may or may not be proposed, as both are optimal.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import polars as pl
from scipy.sparse import csr_array
from scipy.sparse.csgraph import (
    breadth_first_order,
    maximum_bipartite_matching,
    min_weight_full_bipartite_matching,
)

from matching_core._profiles import FrameLike, Profiles
from matching_core.eligibility import (
    Population,
    _check_min_score,
    city_candidates,
    city_inputs,
    pairs_frame,
    prepare,
)
from matching_core.score import DEFAULT_MIN_SCORE, Weights

#: Fewer waiting people than this are solved without a process pool (its start-up
#: takes about a second, more than the whole matching of such an input).
PARALLEL_MIN_PEOPLE = 20_000


def max_weight_matching(
    rows: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    shape: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-weight matching of a sparse bipartite graph; vertices may stay unmatched.

    Solves

    .. math::

        \\max_{M} \\sum_{(r, c) \\in M} w_{rc}

    over sets ``M`` of edges in which each row and each column appears at most once.

    Parameters
    ----------
    rows, cols : array_like of int
        End points of the edges, ``0 <= rows < shape[0]``, ``0 <= cols < shape[1]``;
        each ``(row, col)`` at most once.
    weights : array_like of float
        Finite edge weights. Edges of negative weight are never chosen; an edge of
        weight 0 may or may not be.
    shape : (int, int)
        Number of rows and columns.

    Returns
    -------
    row_ind, col_ind : numpy.ndarray
        The chosen edges (int64), sorted by row.

    Raises
    ------
    ValueError
        On arrays of different lengths, out-of-range indices, repeated edges or
        non-finite weights.

    Examples
    --------
    >>> r, c = max_weight_matching([0, 0, 1], [0, 1, 0], [0.9, 0.5, 0.6], (2, 2))
    >>> r.tolist(), c.tolist()
    ([0, 1], [1, 0])
    """
    rows = np.asarray(rows)
    cols = np.asarray(cols)
    w = np.asarray(weights, dtype=np.float64)
    n_rows, n_cols = (int(x) for x in shape)
    if not (rows.ndim == cols.ndim == w.ndim == 1 and rows.size == cols.size == w.size):
        raise ValueError(
            f"rows, cols and weights must be 1-D of one length, got shapes "
            f"{rows.shape}, {cols.shape}, {w.shape}"
        )
    if rows.size and not (
        np.issubdtype(rows.dtype, np.integer) and np.issubdtype(cols.dtype, np.integer)
    ):
        raise ValueError("rows and cols must be integer arrays")
    if rows.size and (
        rows.min() < 0 or rows.max() >= n_rows or cols.min() < 0 or cols.max() >= n_cols
    ):
        raise ValueError(f"an edge lies outside shape {(n_rows, n_cols)}")
    if not np.isfinite(w).all():
        raise ValueError("weights must be finite")
    none = (np.zeros(0, np.int64), np.zeros(0, np.int64))

    keep = w >= 0  # a negative edge can only lower the sum
    if not keep.all():
        rows, cols, w = rows[keep], cols[keep], w[keep]
    if w.size == 0:
        return none
    # Vertices without edges are unmatched anyway: drop them, renumber the rest.
    index = np.int32 if n_rows + n_cols < 2**31 - 1 else np.int64
    row_used = np.bincount(rows, minlength=n_rows) > 0
    col_used = np.bincount(cols, minlength=n_cols) > 0
    rows = (np.cumsum(row_used) - 1).astype(index)[rows]
    cols = (np.cumsum(col_used) - 1).astype(index)[cols]
    row_ids, col_ids = np.flatnonzero(row_used), np.flatnonzero(col_used)
    n_rows, n_cols = row_ids.size, col_ids.size

    top = 1.0 + float(w.max())
    step_r, step_c = np.diff(rows), np.diff(cols)
    if np.all((step_r > 0) | ((step_r == 0) & (step_c > 0))):
        # Already sorted by (row, col) and so without repeats: build CSR directly.
        indptr = np.zeros(n_rows + 1, dtype=index)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        real = csr_array((top - w, cols, indptr), shape=(n_rows, n_cols))
    else:
        real = csr_array((top - w, (rows, cols)), shape=(n_rows, n_cols))
        real.sum_duplicates()
        if real.nnz != w.size:
            raise ValueError("an edge (row, col) appears more than once")
        real.sort_indices()
    del rows, cols, w, step_r, step_c
    transpose, real_t = _orientation(real)
    if transpose:
        real, row_ids, col_ids = real_t, col_ids, row_ids
        n_rows, n_cols = n_cols, n_rows

    # One dummy column per row, after the real ones: being unmatched costs `top`.
    at = real.indptr[1:]
    graph = csr_array(
        (
            np.insert(real.data, at, top),
            np.insert(real.indices, at, n_cols + np.arange(n_rows, dtype=real.indices.dtype)),
            real.indptr + np.arange(n_rows + 1, dtype=real.indptr.dtype),
        ),
        shape=(n_rows, n_cols + n_rows),
    )
    del real, real_t
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    matched = col_ind < n_cols
    row_ind = row_ids[row_ind[matched]]
    col_ind = col_ids[col_ind[matched]]
    if transpose:
        row_ind, col_ind = col_ind, row_ind
        order = np.argsort(row_ind, kind="stable")
        row_ind, col_ind = row_ind[order], col_ind[order]
    return row_ind, col_ind


def _search_cost(graph: csr_array, partner: np.ndarray) -> int:
    """Work estimate when the rows of ``graph`` are LAPJVsp's rows.

    ``partner`` is a maximum-cardinality matching (column of each row, -1 if none).
    A row that ends unmatched costs LAPJVsp a shortest-path search over what it can
    reach by alternating paths; the estimate is (unmatched rows) x (edges of the rows
    reachable from them).
    """
    n_rows, n_cols = graph.shape
    free = np.flatnonzero(partner < 0)
    if free.size == 0:
        return 0
    matched = np.flatnonzero(partner >= 0)
    row_of_col = np.full(n_cols, -1, dtype=np.int64)
    row_of_col[partner[matched]] = matched
    # Nodes: rows, then columns, then a source linked to the free rows.
    has_row = row_of_col >= 0
    indptr = np.concatenate(
        [
            graph.indptr.astype(np.int64),
            graph.indptr[-1] + np.cumsum(has_row),
            [graph.indptr[-1] + has_row.sum() + free.size],
        ]
    )
    indices = np.concatenate([graph.indices.astype(np.int64) + n_rows, row_of_col[has_row], free])
    size = n_rows + n_cols + 1
    walk = csr_array((np.ones(indices.size), indices, indptr), shape=(size, size))
    reached = breadth_first_order(walk, size - 1, directed=True, return_predecessors=False)
    reached = reached[reached < n_rows]
    degree = np.diff(graph.indptr)
    return int(free.size) * int(degree[reached].sum())


def _orientation(real: csr_array) -> tuple[bool, csr_array | None]:
    """Whether to solve on the transpose, and the transpose if it was built.

    LAPJVsp is fast for rows that end matched and slow for rows that end unmatched
    (each needs an exhaustive shortest-path search). A maximum-cardinality matching
    (Hopcroft-Karp) tells which side can be saturated; if neither can, the side whose
    unmatched rows reach the fewest edges goes to the rows. This only chooses
    between two exact formulations: the optimum does not depend on it.
    """
    n_rows, n_cols = real.shape
    col_of_row = maximum_bipartite_matching(real, perm_type="column")
    size = int((col_of_row >= 0).sum())
    if size == n_rows:
        return False, None
    real_t = real.T.tocsr()
    real_t.sort_indices()
    if size == n_cols:
        return True, real_t
    matched = np.flatnonzero(col_of_row >= 0)
    row_of_col = np.full(n_cols, -1, dtype=np.int64)
    row_of_col[col_of_row[matched]] = matched
    return _search_cost(real_t, row_of_col) < _search_cost(real, col_of_row), real_t


def _solve_city(
    newcomers: Profiles,
    locals_: Profiles,
    previous: tuple[np.ndarray, np.ndarray],
    weights: Weights,
    min_score: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal pairs of one city as rows of ``newcomers`` and ``locals_``.

    One work item of the process pool (module-level, so that it can be pickled).
    """
    i, j, score = city_candidates(newcomers, locals_, previous, weights, min_score)
    return max_weight_matching(i, j, score, (newcomers.gender.size, locals_.gender.size))


def _available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - macOS, Windows


def _pool_size(workers: int | None, n_people: int, n_cities: int) -> int:
    """Number of processes for ``n_cities`` cities to solve; 1 means no pool.

    ``workers=None`` chooses: one process per available CPU, none for small inputs
    or inside a daemonic process (which may not start children).
    """
    if workers is None:
        if n_people < PARALLEL_MIN_PEOPLE or multiprocessing.current_process().daemon:
            return 1
        workers = _available_cpus()
    return max(1, min(workers, n_cities))


def _check_workers(workers: int | None) -> int | None:
    """Reject a ``workers`` that is neither ``None`` nor a positive ``int``."""
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValueError(f"workers must be a positive integer or None, got {workers!r}")
    return workers


def _solve_cities(
    population: Population, weights: Weights, min_score: float, workers: int | None
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Optimal pairs of every city that has newcomers and locals, by city index.

    Cities are solved in this process or, for large inputs, in a pool of processes
    (see the module docstring); the result is the same either way.
    """
    cities = [
        k
        for k in range(len(population.cities))
        if population.newcomers[k].size and population.locals_[k].size
    ]
    n_workers = _pool_size(workers, population.frame.height, len(cities))
    if n_workers == 1:
        return {k: _solve_city(*city_inputs(population, k), weights, min_score) for k in cities}
    # Largest first (N_c * L_c pairs to test), so that no process is left with a big
    # city at the end; the sort is stable, so equal sizes keep their city order.
    cities.sort(key=lambda k: -population.newcomers[k].size * population.locals_[k].size)
    pool = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {
            k: pool.submit(_solve_city, *city_inputs(population, k), weights, min_score)
            for k in cities
        }
        return {k: future.result() for k, future in futures.items()}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def propose_matches(
    participants: FrameLike,
    previous_matches: FrameLike | None = None,
    *,
    weights: Weights | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
    workers: int | None = None,
) -> pl.DataFrame:
    """Propose new tandems: an optimal matching of eligible pairs, city by city.

    Among the eligible pairs (MATCHING.md rules 1-6), choose pairs, each person in
    at most one, that maximise the sum of scores.

    Parameters
    ----------
    participants : polars.DataFrame or LazyFrame
        The **waiting** participants (the caller filters on status and open
        matches), with the columns of ``core.participants``.
    previous_matches : polars.DataFrame or LazyFrame, optional
        Every earlier match (``newcomer_id, local_id``), ended or not (rule 5).
    weights : Weights, optional
        Defaults to ``Weights()``.
    min_score : float
        Rule 6: a pair is eligible when ``round(score, 12) >= min_score``.
    workers : int, optional
        Processes solving cities in parallel: ``1`` solves them here, one after
        the other; ``None`` (default) uses one per available CPU, except for inputs
        of fewer than ``PARALLEL_MIN_PEOPLE`` people. Never more than the number of
        cities. The result does not depend on it.

    Returns
    -------
    polars.DataFrame
        One row per proposed pair: ``newcomer_id, local_id, city, score,
        score_interests, score_language, score_availability, score_district,
        score_age`` (parts before weighting), sorted by ``city, newcomer_id,
        local_id``. The caller adds ``proposed_at``.

    Raises
    ------
    ValueError
        Missing column, null or duplicated ``participant_id``, unknown ``group``,
        null ``city``, non-finite ``min_score`` or ``workers`` not a positive integer.
    """
    weights = Weights() if weights is None else weights
    min_score = _check_min_score(min_score)
    workers = _check_workers(workers)
    population = prepare(participants, previous_matches)
    solved = _solve_cities(population, weights, min_score, workers)
    rows_new, rows_loc = [], []
    for k, (si, sj) in sorted(solved.items()):  # city order, as solved one by one
        rows_new.append(population.newcomers[k][si])
        rows_loc.append(population.locals_[k][sj])
    empty = [np.zeros(0, np.int64)]
    return pairs_frame(
        population,
        np.concatenate(rows_new or empty).astype(np.int64),
        np.concatenate(rows_loc or empty).astype(np.int64),
        weights,
    )
