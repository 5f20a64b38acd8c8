"""incremental.decide: when a core table is kept, merged with new files, or rebuilt."""

from pipelines.defs.ingest.incremental import BuildState, Decision, decide

A = ("feedback_a.csv", "sha-a", 100)
B = ("feedback_b.csv", "sha-b", 200)
DAILY = ("feedback_daily.csv", "sha-d", 300)


def state(*files: tuple[str, str, int], inputs: str = "x") -> BuildState:
    return BuildState(tuple(sorted(files, key=lambda f: (f[2], f[0]))), inputs)


def test_first_run_and_changed_inputs_rebuild() -> None:
    assert decide(None, state(A)) == Decision("full")
    assert decide(state(A, inputs="x"), state(A, inputs="y")) == Decision("full")


def test_nothing_changed_keeps_the_table() -> None:
    assert decide(state(A, B), state(A, B)) == Decision("current")


def test_files_added_after_every_old_one_are_merged() -> None:
    later = ("feedback_e.csv", "sha-e", 300)  # same time as DAILY, later name
    assert decide(state(A, B), state(A, B, DAILY, later)) == Decision(
        "increment", ("feedback_daily.csv", "feedback_e.csv")
    )


def test_a_new_file_ordered_before_an_old_one_rebuilds() -> None:
    early = ("feedback_0.csv", "sha-0", 150)
    same_time_earlier_name = ("feedback_0.csv", "sha-0", 200)
    assert decide(state(A, B), state(A, B, early)) == Decision("full")
    assert decide(state(A, B), state(A, B, same_time_earlier_name)) == Decision("full")


def test_changed_touched_or_removed_files_rebuild() -> None:
    assert decide(state(A, B), state(A, ("feedback_b.csv", "sha-b2", 200))) == Decision("full")
    assert decide(state(A, B), state(A, ("feedback_b.csv", "sha-b", 250))) == Decision("full")
    assert decide(state(A, B), state(A)) == Decision("full")
