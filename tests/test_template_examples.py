"""Issue 12 item 12: every template's instructions give an example that is real (codes the demo data holds) and
valid: the example row, typed into the template and imported against the demo database, is accepted."""

import io

import openpyxl
import pytest
from sqlalchemy.engine import Engine

from dashboard.excel import importer, writer
from dashboard.excel.spec import ENTITIES
from dashboard.i18n import use_language
from seed.people import DEMO_COMMUNITIES


def help_examples(template: bytes) -> dict[str, str]:
    """The instructions sheet: header as written (Chinese) -> its example."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    help_ws = wb.worksheets[1]
    return {row[0]: row[5] or "" for row in help_ws.iter_rows(min_row=2, values_only=True)}


def filled(template: bytes) -> bytes:
    """The template with its own examples typed into the first data row, as a person following them would."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    data, help_ws = wb.worksheets[0], wb.worksheets[1]
    examples = [row[5] or None for row in help_ws.iter_rows(min_row=2, values_only=True)]
    for c, value in enumerate(examples, start=1):
        data.cell(row=2, column=c, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("entity", list(ENTITIES))
def test_each_templates_example_row_is_accepted(demo_engine: Engine, entity: str, lang: str) -> None:
    with use_language(lang):
        result = importer.import_file(demo_engine, entity, filled(writer.template_xlsx(entity, lang)),
                                      f"{entity}.xlsx", actor="test", dry_run=True)
    assert result.status == "valid", [(e.column, e.value, e.message) for e in result.errors]
    assert result.rows == 1
    # The example is a demo row: its code, and every code it names, exist. The demo leaves the admin's calendar
    # table empty, so its example (a 2027 holiday) is a new row.
    assert result.created == (entity == "calendar_days")


def test_the_examples_the_issue_named_are_real() -> None:
    with use_language("zh"):
        practitioners = help_examples(writer.template_xlsx("practitioners", "zh"))
        needs = help_examples(writer.template_xlsx("needs", "zh"))
    demo_codes = {c[0] for c in DEMO_COMMUNITIES}
    assert demo_codes == {"GA", "SQC", "QYZ"}
    assert practitioners["社区编号"] in demo_codes                     # not C001
    assert 1940 <= int(practitioners["出生年份"]) <= 2010               # not 12
    assert practitioners["从业者编号"].startswith("P")
    assert needs["从业者编号"].startswith("P") and needs["需求编号"].startswith("N")



def test_the_stored_examples_are_what_the_generator_gives() -> None:
    """examples.json is written by `python -m dashboard.excel.examples`; it must not drift from the seed."""
    from dashboard.excel import examples
    assert {name: examples.derive(name) for name in ENTITIES} == {name: examples.example_row(name)
                                                                  for name in ENTITIES}
