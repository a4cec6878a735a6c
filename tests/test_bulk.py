"""Bulk writes and code lookups on SQLite and PostgreSQL: what goes in is what comes out, in order, at any size."""

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import data_models
from dashboard.bulk import STAGE_FROM, among, bulk_insert, bulk_insert_columns
from tests import factories as f

P = data_models.metadata.tables["practitioner"]
N = STAGE_FROM + 1_500          # enough rows to go through the staging table on SQLite


def _columns(community_id: int, n: int) -> dict[str, list]:
    return {
        "code": [f"P{i:05d}" for i in range(n)],
        "community_id": [community_id] * n,                                   # constant
        "name": [f"人{i % 7}" for i in range(n)],
        "gender": ["female"] * n,                                             # constant
        "birth_year": [1980 + i % 30 for i in range(n)],
        "phone": [None] * n,                                                  # constant NULL
        "education": ["junior_high"] * n, "hukou": ["rural"] * n, "employment_type": ["flexible_worker"] * n,
        "occupation": ["livestream_host"] * n, "daily_work_hours": [8.5] * n,
        "has_labour_contract": [i % 2 == 0 for i in range(n)], "has_pension": [True] * n,
        "has_injury_insurance": [False] * n, "monthly_income_cents": [300_050 + i for i in range(n)],
        "is_association_member": [False] * n, "strengths": [""] * n,
        "registered_on": [dt.date(2025, 1 + i % 12, 1).isoformat() for i in range(n)],
    }


def _stored(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(P.c.id, P.c.code, P.c.name, P.c.phone, P.c.has_labour_contract,
                                      P.c.has_pension, P.c.monthly_income_cents, P.c.registered_on,
                                      P.c.daily_work_hours).order_by(P.c.id)).all()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("n", [10, N])
def test_columns_in_equal_rows_out_constant_columns_included(engine: Engine, n: int) -> None:
    with engine.begin() as conn:
        cid = f.community(conn)
        data = _columns(cid, n)
        assert bulk_insert_columns(conn, P, data) == n
    stored = _stored(engine)
    assert len(stored) == n
    first_id = stored[0][0]
    for i, (id_, code, name, phone, contract, pension, cents, day, hours) in enumerate(stored):
        assert id_ == first_id + i and code == data["code"][i]       # ids follow the order given
        assert (name, phone, bool(contract), bool(pension), cents, str(day), hours) == (
            data["name"][i], None, i % 2 == 0, True, 300_050 + i, data["registered_on"][i], 8.5)


def test_rows_and_columns_give_the_same_table(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = f.community(conn)
        data = _columns(cid, N)
        bulk_insert(conn, P, list(data), zip(*data.values(), strict=True))
    by_rows = _stored(engine)
    with engine.begin() as conn:
        conn.execute(P.delete())
        bulk_insert_columns(conn, P, data)
    assert [r[1:] for r in _stored(engine)] == [r[1:] for r in by_rows]


def test_a_refused_row_leaves_the_transaction_to_the_caller(engine: Engine) -> None:
    """A CHECK refusal in the staged move raises, the staging table is gone, and the caller's rollback holds."""
    with engine.begin() as conn:
        cid = f.community(conn)
    data = _columns(cid, N)
    data["birth_year"][N - 1] = 1800                      # outside the CHECK's 1900-2100
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        bulk_insert_columns(conn, P, data)
    assert _stored(engine) == []
    with engine.begin() as conn:                          # the staging table does not linger on the connection
        data["birth_year"][N - 1] = 1990
        assert bulk_insert_columns(conn, P, data) == N


def test_among_takes_more_codes_than_sqlite_binds(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = f.community(conn)
        bulk_insert_columns(conn, P, _columns(cid, 40))
        wanted = [f"P{i:05d}" for i in range(0, 40, 3)] + [f"X{i}" for i in range(40_000)]
        found = {code for (code,) in conn.execute(sa.select(P.c.code).where(among(conn, P.c.code, wanted)))}
        ids = list(conn.execute(sa.select(P.c.id).where(among(conn, P.c.code, ["P00001", "P00002"]))).scalars())
        by_id = conn.execute(sa.select(sa.func.count()).where(among(conn, P.c.id, ids))).scalar_one()
    assert found == {f"P{i:05d}" for i in range(0, 40, 3)} and by_id == 2
