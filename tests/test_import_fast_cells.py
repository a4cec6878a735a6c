"""The import's shortcut for cells that pass as they are (importer._clean_already, found by Arrow over a whole
column) gives every cell exactly the verdict the cell-by-cell checks give it: the same value, the same refusal."""

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.excel import importer
from dashboard.excel.normalize import SPACES
from dashboard.excel.spec import ENTITIES, Field
from dashboard.privacy import looks_masked

FIELDS = {f"{entity}.{f.column}": f for entity in ("practitioners", "communities", "needs")
          for f in ENTITIES[entity].fields if f.kind in ("text", "code", "ref")}
TRICKY = ["B0000001", " B1", "B1 ", "\u3000B1", "B1\u00a0", "\u200bB1", "B1\ufeff", "Ｂ１", "B\x01", "B\x0b1",
          "B\x1f", "\x85B1", "B1\x85", "张*华", "138****1234", "老*", "*", "", " ", "\u3000", "x" * 40, "x" * 41,
          "x" * 100, "x" * 101, "é", "王秀英", "王 秀英", "\tB1\n", "B1\r", "a\u2003b", "1001", "1001.0", None]


def both(f: Field, cells: list[str | None]) -> tuple[list[importer.Verdict], list[importer.Verdict]]:
    distinct = list(dict.fromkeys(cells))
    masked = looks_masked if f.kind == "text" else None
    slow = importer._verdicts(f, distinct, masked_check=masked)
    clean = importer._clean_already(f, pa.array(distinct, pa.string()))
    fast = importer._verdicts(f, distinct, masked_check=masked, clean=clean)
    return slow, fast


@pytest.mark.parametrize("name", FIELDS)
def test_tricky_cells_get_the_same_verdict_by_either_way(name: str) -> None:
    slow, fast = both(FIELDS[name], TRICKY)
    assert fast == slow
    assert importer._clean_already(FIELDS[name], pa.array(["B0000001"], pa.string())).tolist() == [True]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(FIELDS)),
       st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(
           list("AZaz09-_*老张 \t\r\n\x00\x01\x0b\x1c\x1f\x7f\x85é王Ｂ１") + list(SPACES)), max_size=45)),
           min_size=1, max_size=20))
def test_any_cells_get_the_same_verdict_by_either_way(name: str, cells: list[str | None]) -> None:
    slow, fast = both(FIELDS[name], cells)
    assert fast == slow
