"""Every corpus case decided by the reader: outcome, reason (file, line, column), no personal value."""

from pathlib import Path

import pytest

from govlake.contracts import parse_contract
from govlake.errors import DeliveryError
from jobs.readers import ReadSettings, read_all
from tests.corpus import CANARIES, cases, contract_docs

READER_CASES = [c for c in cases() if c.where == "reader"]


def settings_for(dataset: str) -> ReadSettings:
    return ReadSettings.from_contract(parse_contract(contract_docs()[dataset], Path(f"{dataset}.yaml")))


def assert_no_canary(text: str) -> None:
    leaked = [c for c in CANARIES if c in text]
    assert not leaked, f"personal value in a message: {text}"


def test_the_corpus_covers_every_kind_the_issue_lists():
    kinds = {c.kind for c in cases()}
    assert kinds >= {"encodings", "line endings", "quoting", "shape", "values", "files", "json lines"}
    assert len(cases()) >= 30


@pytest.mark.parametrize("case", READER_CASES, ids=lambda c: c.name)
def test_reader_outcome(case):
    name, data = next(iter(case.files.items()))
    label = f"landing/{case.dataset}/{name}"
    if case.outcome == "refused":
        with pytest.raises(DeliveryError) as err:
            read_all(data, label, settings_for(case.dataset))
        message = str(err.value)
        assert message.startswith(label), message  # names the file
        for reason in case.reasons:
            assert reason.replace(f"{name}: ", "") in message or reason in message, message
        assert_no_canary(message)
        return
    opened, records = read_all(data, label, settings_for(case.dataset))
    problems = [r.problem for r in records if r.problem]
    assert len(records) == case.rows, "every delivered row comes out: as a value or as a problem"
    assert len(problems) == case.quarantined, problems
    for reason in case.reasons:
        short = reason.split(".csv: ", 1)[-1].split(".jsonl: ", 1)[-1]
        assert any(short in p for p in problems), (short, problems)
    for p in problems:
        assert p.startswith("line "), p  # the line, then the column where one is to blame
        assert_no_canary(p)
    for note in opened.notes + opened.extra_columns:
        assert_no_canary(note)
    good = [r for r in records if not r.problem]
    assert all(set(r.values) <= set(settings_for(case.dataset).column_names) for r in good)
