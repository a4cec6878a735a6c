"""直播现场 presenters: a consultation case's texts masked for roles that may not see personal data."""

import datetime as dt

import pandas as pd

from dashboard import presenters_live as view
from dashboard.queries.consultation import CaseDetail

SECRET = "王阿姨 13812345678"


def detail() -> CaseDetail:
    return CaseDetail(
        case={"code": "CS1", "title": f"{SECRET}家门口快递", "summary": f"{SECRET}反映快递堆放",
              "meeting_place": "会议室",
              "meeting_record": f"{SECRET}说太吵", "close_note": "", "measures": "设代收点", "step": "meeting",
              "opened_on": dt.date(2026, 1, 1)},
        community="A", parties=pd.DataFrame({"kind": ["resident_rep"], "name": [SECRET]}),
        requests=pd.DataFrame({"code": ["R1"], "description": [f"{SECRET}家门口"], "status": ["in_progress"]}),
        checks=pd.DataFrame({"note": [f"{SECRET}满意"]}), events=pd.DataFrame({"note": [SECRET], "actor": ["sw"]}))


def test_every_free_text_of_a_case_is_masked() -> None:
    shown = view.masked_case(detail())
    frames = (shown.parties, shown.requests, shown.checks, shown.events)
    texts = [shown.case[k] for k in view.CASE_TEXT] + [str(v) for f in frames for v in f.to_numpy().ravel()]
    assert not [x for x in texts if "13812345678" in x or "王阿姨" in x]
    assert shown.case["title"].startswith("*阿姨") and "138****5678" in shown.requests["description"][0]
    assert shown.case["measures"] == "设代收点" and shown.events["actor"].tolist() == ["sw"]


def test_an_empty_frame_stays_empty() -> None:
    d = detail()
    empty = CaseDetail(case=d.case, community="A", parties=d.parties.iloc[0:0], requests=d.requests,
                       checks=d.checks.iloc[0:0], events=d.events.iloc[0:0])
    shown = view.masked_case(empty)
    assert shown.parties.empty and shown.checks.empty and shown.events.empty
