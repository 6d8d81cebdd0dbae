"""Plain-text result tables."""
from minigrad.training.tools import format_table


def test_columns_align_and_numbers_are_formatted():
    rows = [{"name": "adam", "lr": 0.001, "acc": 0.91234, "epochs": 3},
            {"name": "sgd", "lr": 0.1, "acc": None}]
    lines = format_table(rows).splitlines()
    assert lines[0].split() == ["name", "lr", "acc", "epochs"]
    assert lines[2].split() == ["adam", "0.001", "0.9123", "3"]
    assert lines[3].split() == ["sgd", "0.1"]
    assert lines[2].index("0.9123") == lines[0].index("acc")
    assert format_table([{"lr": 3e-5}], ["lr"]).splitlines()[2] == "3e-05"
