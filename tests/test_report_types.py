"""The report contract's snapshot: to_json / from_json give back exactly what was published (hidden marks as tuples,
Chinese names, aware cut-off), and equal data gives equal text whatever order or zone it was built in."""

import datetime as dt
import json
from dataclasses import replace
from zoneinfo import ZoneInfo

from dashboard.report.types import AreaReport, Chart, Figure, Point, from_json, to_json
from tests.report_factories import CUT_OFF, point, report, requests_area


def test_a_report_round_trips_exactly() -> None:
    data = report()
    back = from_json(to_json(data))
    assert back == data
    assert to_json(back) == to_json(data)


def test_hidden_marks_come_back_as_tuples() -> None:
    area = AreaReport("requests", [Figure("requests_raised", "count", None, 12, None, people=True,
                                          hidden=("value", "year_ago"))],
                      Chart("requests_by_category", "count",
                            [point("noise", "噪声扰民", "Noise", None, hidden=("value",))], total="requests_raised"))
    back = from_json(to_json(report(requests=area)))
    f = back.area("requests").figures[0]
    assert f.hidden == ("value", "year_ago") and isinstance(f.hidden, tuple)
    assert back.area("requests").chart.points[0].hidden == ("value",)
    assert back == report(requests=area)


def test_chinese_names_are_stored_as_written() -> None:
    text = to_json(report())
    assert "石桥村" in text and "就业创业" in text and "\\u" not in text
    back = from_json(text)
    assert back.community_names == {"zh": "石桥村", "en": "Shiqiao Village"}
    assert back.area("needs").chart.points[0].names["zh"] == "就业创业"


def test_the_cut_off_is_stored_in_utc_and_comes_back_aware() -> None:
    shanghai = CUT_OFF.astimezone(ZoneInfo("Asia/Shanghai"))
    text = to_json(replace(report(), cut_off=shanghai))
    assert json.loads(text)["cut_off"] == "2025-10-08T01:30:00+00:00"
    back = from_json(text)
    assert back.cut_off == CUT_OFF and back.cut_off.utcoffset() == dt.timedelta(0)
    assert text == to_json(report())            # the same instant is the same text


def test_equal_data_gives_equal_text() -> None:
    a = report(requests=requests_area([3, 12, 40, 25]))
    b = report(requests=requests_area([3, 12, 40, 25]))
    assert a is not b and to_json(a) == to_json(b)
    # built with the names' languages in the other order: still the same text
    names = {"en": "Shiqiao Village", "zh": "石桥村"}
    assert to_json(replace(a, community_names=names)) == to_json(a)
    # and different data gives different text
    assert to_json(report(requests=requests_area([3, 12, 40, 26]))) != to_json(a)


def test_numbers_keep_their_type_through_json() -> None:
    """Money stays int cents (no float on the way), rates stay floats, days keep their fraction."""
    back = from_json(to_json(report()))
    revenue = back.area("cooperative").figure("revenue")
    assert revenue.value == 1_234_500 and isinstance(revenue.value, int)
    rate = back.area("needs").figure("closure_rate")
    assert rate.value == 0.75 and isinstance(rate.value, float) and rate.base == 64
    assert back.area("needs").figure("days_to_feedback").value == 4.5


def test_an_area_without_a_page_and_an_empty_chart_round_trip() -> None:
    empty = AreaReport("meetings", [Figure("meetings_held", "count", None)], Chart("actions_by_party", "count"),
                       has_page=False)
    back = from_json(to_json(report(meetings=empty)))
    assert back.area("meetings") == empty and back.area("meetings").has_page is False


def test_figure_values_name_every_figure_and_point() -> None:
    values = report().figure_values()
    assert values["requests.requests_raised"] == 80
    assert values["requests.requests_by_category.noise"] == 3
    assert values["cooperative.revenue_by_channel.shop"] == 234_500
    assert len(values) == sum(len(a.figures) + len(a.chart.points) for a in report().areas)


def test_a_point_keeps_its_fields() -> None:
    p = Point("noise", {"zh": "噪声扰民", "en": "Noise"}, 3, 0, None, hidden=("year_ago",))
    area = AreaReport("requests", [], Chart("requests_by_category", "count", [p]))
    assert from_json(to_json(report(requests=area))).area("requests").chart.points == [p]


def test_withheld_marks_round_trip_and_old_snapshots_read_without_them() -> None:
    area = AreaReport("requests", [Figure("requests_raised", "count", 80, people=True)],
                      Chart("requests_by_category", "count",
                            [point("noise", "噪声扰民", "Noise", None, hidden=("value",)),
                             point("parking", "停车", "Parking", None, hidden=("value",), withheld=("value",))],
                            total="requests_raised", people=True))
    data = report(requests=area)
    back = from_json(to_json(data))
    assert back == data and back.area("requests").chart.points[1].withheld == ("value",)
    # a snapshot written before `withheld` existed
    old = json.loads(to_json(report()))
    for a in old["areas"]:
        for f in a["figures"]:
            del f["withheld"]
        for p in a["chart"]["points"]:
            del p["withheld"]
    assert from_json(json.dumps(old, ensure_ascii=False)) == report()


def test_an_amount_names_the_count_it_is_over_and_old_snapshots_read_the_known_pair() -> None:
    """`Figure.over` round-trips; a snapshot written before it existed reads paid_to_members as over members_paid
    (the figures module's one such pair then), so a version published before hides it as one published now."""
    area = AreaReport("cooperative", [Figure("revenue", "money", 9_000),
                                      Figure("paid_to_members", "money", 5_000, over="members_paid"),
                                      Figure("members_paid", "count", 2, people=True)],
                      Chart("revenue_by_channel", "money"))
    data = report(cooperative=area)
    assert from_json(to_json(data)) == data
    old = json.loads(to_json(data))
    for a in old["areas"]:
        for f in a["figures"]:
            del f["over"]
    back = from_json(json.dumps(old, ensure_ascii=False))
    assert back == data
    assert back.area("cooperative").figure("revenue").over is None
    # only a figure stored without the field is given the known pair: one stored as null stays null
    plain = json.loads(to_json(report(cooperative=replace(area, figures=[
        replace(f, over=None) for f in area.figures]))))
    assert from_json(json.dumps(plain)).area("cooperative").figure("paid_to_members").over is None
