"""季度汇报's live figures: a community-quarter's key figures per area, beside the quarter before (环比) and the same
quarter a year ago (同比), read by each area page's own rules (dashboard/queries/report.py holds the SQL).

Counts and money of a quarter with nothing recorded are 0, and rates None (nothing to divide by), as the area's page
shows them. The quarter before and the quarter a year ago are None instead where the area recorded nothing in them
(no needs, enrolments, sales, requests or meetings): "no figure", so a comparison with a time before the dashboard
was used reads "—", not "new" or −100%. Chart points are the categories with something in any of the three
quarters, in the enum's order, named in both languages.
"""

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum

from sqlmodel import Session

from dashboard.i18n import label, t, use_language
from dashboard.periods import parse_quarter, previous_quarter, quarter_bounds
from dashboard.queries import report as q
from dashboard.queries import report_kept
from dashboard.queries.requests import RequestScope
from dashboard.queries.requests import figures as request_figures
from dashboard.report.types import AreaReport, Chart, Figure, Kind, Point, ReportData
from dashboard.services import workdays
from dashboard.services.request_rates import Rate
from data_models.enums import CourseLevel, NeedCategory, PartyKind, RequestCategory, SalesChannel

LANGS = ("zh", "en")
Quarters = tuple[str, str, str]        # the quarter, the one before, the same one a year ago


def year_ago_quarter(quarter: str) -> str:
    year, n = parse_quarter(quarter)
    return f"{year - 1}Q{n}"


class _Area:
    """Builds one area's figures from per-quarter numbers; `present[q]` False: that side is "no figure"."""

    def __init__(self, quarters: Quarters, present: Mapping[str, bool], *, people: bool) -> None:
        self.qs = quarters
        self.present = {quarters[0]: True, **{k: bool(present.get(k)) for k in quarters[1:]}}
        self.people = people
        self.figures: list[Figure] = []

    def number(self, key: str, kind: Kind, values: Mapping[str, int], *, people: bool | None = None,
               over: str | None = None, known_only: bool = False) -> None:
        """`known_only`: a quarter absent from `values` has no figure (None), the quarter shown too."""
        v = [int(values.get(x, 0)) if self.present[x] and (x in values or not known_only) else None for x in self.qs]
        self.figures.append(Figure(key, kind, v[0], v[1], v[2],
                                   people=self.people if people is None else people, over=over))

    def rate(self, key: str, rates: Mapping[str, Rate], *, people: bool | None = None) -> None:
        """A share with the count it is over; None (and its base 0) where there is nothing to divide by."""
        got = [rates.get(x, Rate(0, 0)) if self.present[x] else None for x in self.qs]
        value = [None if r is None else r.value for r in got]
        base = [None if r is None else int(r.denominator) for r in got]
        self.figures.append(Figure(key, "rate", value[0], value[1], value[2], base[0], base[1], base[2],
                                   people=self.people if people is None else people))

    def chart(self, key: str, kind: Kind, counts: Mapping[tuple[str, str], int], enum: type[StrEnum],
              total: str | None) -> Chart:
        codes = [m.value for m in enum]
        seen = {code for (_, code), n in counts.items() if n}
        points = []
        for code in [*codes, *sorted(seen - set(codes))]:       # a code the enum no longer has still shows
            if code not in seen:
                continue
            v = [int(counts.get((x, code), 0)) if self.present[x] else None for x in self.qs]
            points.append(Point(code, _names(enum, code), v[0], v[1], v[2]))
        return Chart(key, kind, points, total=total, people=self.people)


def _names(enum: type[StrEnum], code: str) -> dict[str, str]:
    names = {}
    for lang in LANGS:
        with use_language(lang):
            text = label(code, enum)
        names[lang] = code if text.startswith("enum.") else text
    return names


def _by_quarter(counts: Mapping[tuple[str, str], int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (quarter, _), n in counts.items():
        out[quarter] = out.get(quarter, 0) + n
    return out


def _needs(session: Session, community_id: int | None, qs: Quarters, kept: bool) -> AreaReport:
    read = report_kept.needs_counts if kept else q.needs_counts
    c = read(session, community_id=community_id, quarters=qs)
    a = _Area(qs, {x: c.identified[x] + c.closed[x] + c.scored[x] > 0 for x in qs}, people=True)
    a.number("practitioners", "count", c.practitioners)
    a.number("needs_identified", "count", c.identified)
    a.number("needs_closed", "count", c.closed)
    a.rate("needs_closure_rate", {x: Rate(c.identified_closed[x], c.identified[x]) for x in qs})
    a.rate("needs_satisfaction", {x: Rate(c.satisfied[x], c.scored[x]) for x in qs})
    a.number("needs_open", "count", c.open_at_end)
    chart = a.chart("needs_by_category", "count", c.by_category, NeedCategory, total="needs_identified")
    return AreaReport("needs", a.figures, chart)


def _training(session: Session, community_id: int | None, qs: Quarters, caught_up: bool) -> AreaReport:
    by_level = q.training_by_level(session, community_id=community_id, quarters=qs, caught_up=caught_up)

    def total(name: str) -> dict[str, int]:
        return _by_quarter({k: v[name] for k, v in by_level.items()})

    enrolled, completed, reached = total("enrolled"), total("completed"), total("m3_reached")
    employed = total("m3_employed")
    a = _Area(qs, {x: enrolled.get(x, 0) > 0 for x in qs}, people=True)
    a.number("enrolled", "count", enrolled)
    a.number("completed", "count", completed)
    a.rate("completion_rate", {x: Rate(completed.get(x, 0), enrolled.get(x, 0)) for x in qs})
    a.number("certified", "count", total("certified"))
    # training_funnel.employment_rate: employed at 3 months ÷ reached then (the unreachable are not jobless)
    a.rate("employment_rate", {x: Rate(employed.get(x, 0), reached.get(x, 0)) for x in qs})
    a.number("reached", "count", reached)
    chart = a.chart("enrolments_by_level", "count", {k: v["enrolled"] for k, v in by_level.items()}, CourseLevel,
                    total="enrolled")
    return AreaReport("training", a.figures, chart)


def _cooperative(session: Session, community_id: int | None, qs: Quarters, kept: bool) -> AreaReport:
    read = report_kept.sales_by_channel if kept else q.sales_by_channel
    sales = read(session, community_id=community_id, quarters=qs)
    fund = q.fund_spent(session, community_id=community_id, quarters=qs)
    paid = q.member_payouts(session, community_id=community_id, quarters=qs)
    revenue = {(x, ch): r for (x, ch), (_, r, _) in sales.items()}
    orders = _by_quarter({k: n for k, (n, _, _) in sales.items()})
    cost = _by_quarter({k: c for k, (_, _, c) in sales.items()})
    total = _by_quarter(revenue)
    a = _Area(qs, {x: orders.get(x, 0) + fund.get(x, 0) + paid.get(x, (0, 0))[0] > 0 for x in qs}, people=False)
    a.number("revenue", "money", total)
    a.number("profit", "money", {x: total.get(x, 0) - cost.get(x, 0) for x in qs})
    a.number("orders", "count", orders)
    # one member paid: the amount is their income, hidden with the count (suppress). A quarter with no approved run
    # (its distribution still a draft, or not computed yet) has no figure: "—", not ¥0.00 and −100%.
    a.number("paid_to_members", "money", {x: v for x, (v, _) in paid.items()}, over="members_paid", known_only=True)
    a.number("members_paid", "count", {x: n for x, (_, n) in paid.items()}, people=True, known_only=True)
    a.number("fund_spent", "money", fund)
    chart = a.chart("revenue_by_channel", "money", revenue, SalesChannel, total="revenue")
    return AreaReport("cooperative", a.figures, chart)


def _requests(session: Session, community_id: int | None, qs: Quarters, today: dt.date) -> AreaReport:
    calendar = workdays.load(session.connection())
    figs = request_figures(session, scope=RequestScope(community_id, qs[0]), quarters=list(qs), today=today,
                           calendar=calendar)
    sessions = q.livestream_sessions(session, community_id=community_id, quarters=qs)
    by_category = q.requests_by_category(session, community_id=community_id, quarters=qs)
    a = _Area(qs, {x: figs[x].collected + sessions.get(x, 0) > 0 for x in qs}, people=True)
    a.number("sessions", "count", sessions, people=False)
    a.number("requests_raised", "count", {x: f.collected for x, f in figs.items()})
    a.rate("requests_done_rate", {x: Rate(f.finished, f.collected) for x, f in figs.items()})
    a.rate("requests_on_time_rate", {x: f.on_time for x, f in figs.items()})
    a.rate("requests_satisfaction", {x: f.satisfaction for x, f in figs.items()})
    a.number("requests_overdue", "count", {x: f.overdue for x, f in figs.items()})
    chart = a.chart("requests_by_category", "count", by_category, RequestCategory, total="requests_raised")
    return AreaReport("requests", a.figures, chart)


def _meetings(session: Session, community_id: int | None, qs: Quarters, today: dt.date) -> AreaReport:
    held = q.meeting_counts(session, community_id=community_id, quarters=qs)
    as_of = {x: min(today, quarter_bounds(x)[1]) for x in qs}
    owners = q.actions_by_owner(session, community_id=community_id, quarters=qs, as_of=as_of)
    actions = _by_quarter({k: v.actions for k, v in owners.items()})
    done = _by_quarter({k: v.done for k, v in owners.items()})
    a = _Area(qs, {x: held.get(x, (0, 0))[0] > 0 for x in qs}, people=False)
    a.number("meetings", "count", {x: m for x, (m, _) in held.items()})
    a.number("decisions", "count", {x: d for x, (_, d) in held.items()})
    a.number("actions", "count", actions)
    a.number("actions_done", "count", done)
    a.rate("actions_done_rate", {x: Rate(done.get(x, 0), actions.get(x, 0)) for x in qs})
    a.number("actions_overdue", "count", _by_quarter({k: v.overdue for k, v in owners.items()}))
    chart = a.chart("actions_by_owner", "count", {k: v.actions for k, v in owners.items()}, PartyKind,
                    total="actions")
    return AreaReport("meetings", a.figures, chart)


def _scope(session: Session, community_id: int | None) -> tuple[str | None, dict[str, str]]:
    if community_id is None:
        names = {}
        for lang in LANGS:
            with use_language(lang):
                names[lang] = t("filter.all_communities")
        return None, names
    found = q.community_name(session, community_id)
    if found is None:
        raise ValueError(f"no community with id {community_id}")
    code, name = found
    return code, dict.fromkeys(LANGS, name)


def report_data(session: Session, *, community_id: int | None, quarter: str, today: dt.date,
                now: dt.datetime | None = None, live: bool | None = None) -> ReportData:
    """The report's figures for the community (None: all communities) and quarter as they stand now.

    `today` judges what is overdue, as the area pages do: requests still open past their deadline today (of any of
    the three quarters), action items past their due day at the quarter's end (or today in the running quarter).
    `now` is the cut-off recorded with the figures (UTC; the current time when not given).

    Every figure is read from one state of the database (queries.report.one_state), so a write committed meanwhile
    is in all of them or in none and each chart adds up to its total, in a transaction that ends here; a session
    already in a transaction is read in it as it is (its own writes seen).

    The needs area and the sales are summed from need_stats and sale_stats (`live` None: caught up first, and
    counted from the base tables where that fails, where the snapshot finds the scope marked since, or in the
    caller's transaction); `live` True counts them from the needs and sales, False sums the kept tables as they
    stand (the caller caught them up: the tests' comparison)."""
    qs: Quarters = (quarter, previous_quarter(quarter), year_ago_quarter(quarter))
    cut_off = dt.datetime.now(dt.UTC) if now is None else (
        now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC))
    caught_up = False
    if not session.in_transaction():
        q.catch_up_training(session)
        caught_up = live is None and report_kept.catch_up(session, qs)
    with q.one_state(session) as own:
        code, names = _scope(session, community_id)
        if live is None:
            kept = own and caught_up and report_kept.current(session, community_id=community_id, quarters=qs)
        else:
            kept = not live
        areas = [
            _needs(session, community_id, qs, kept),
            _training(session, community_id, qs, caught_up=own),
            _cooperative(session, community_id, qs, kept),
            _requests(session, community_id, qs, today),
            _meetings(session, community_id, qs, today),
        ]
    return ReportData(community_id=community_id, community_code=code, community_names=names, quarter=qs[0],
                      previous_quarter=qs[1], year_ago_quarter=qs[2], cut_off=cut_off, areas=areas)

