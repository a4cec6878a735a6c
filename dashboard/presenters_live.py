"""直播现场 page: its sections and the shared bits the section modules use (app_pages/live*.py)."""

from dataclasses import replace
from typing import Any

from dashboard import privacy

SECTIONS = ("capture", "comments", "cases", "topics")


TEXT_COLUMNS = {"requests": ("description",), "parties": ("name",), "checks": ("note",), "events": ("note",)}
CASE_TEXT = ("title", "summary", "meeting_place", "meeting_record", "close_note")


def masked_case(detail: Any) -> Any:
    """A consultation case's detail for a role that may not see personal data (and meeting mode): residents' names
    and phone numbers masked in every free text, as on the request page (dashboard.privacy.mask_text)."""
    case = dict(detail.case)
    for key in CASE_TEXT:
        case[key] = privacy.mask_text(case.get(key))
    frames = {name: getattr(detail, name).assign(**{c: [privacy.mask_text(v) for v in getattr(detail, name)[c]]
                                                    for c in columns})
              for name, columns in TEXT_COLUMNS.items() if not getattr(detail, name).empty}
    return replace(detail, case=case, **frames)
