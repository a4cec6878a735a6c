"""data_version: the stamp every write of data moves, which each app server checks to drop its cached figures."""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class DataVersion(SQLModel, table=True):
    """Counters of writes, summed to the data version (dashboard/data_version.py). Migration 0016's triggers add 1
    on every write to a data table. On PostgreSQL each server process (backend) counts in its own row, so two
    writers never wait for each other or deadlock on it, and a count is seen only when its transaction commits;
    SQLite, which has one writer at a time, keeps one row (slot 0)."""

    __tablename__ = "data_version"

    slot: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True, autoincrement=False))
    n: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
