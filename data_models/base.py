"""Shared building blocks of the table classes: naming convention, enum columns, money columns."""

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Stable constraint names, so Alembic can refer to them and errors name the rule that was broken.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CODE_LENGTH = 40


def enum_type(enum: type[StrEnum], check_name: str | None = None) -> sa.Enum:
    """A VARCHAR with a CHECK of the allowed codes: portable, and no native PostgreSQL type to migrate."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=32,
        name=check_name or enum.__name__.lower(),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def enum_field(
    enum: type[StrEnum], *, default: Any = ..., index: bool = False, check_name: str | None = None, **kw: Any
) -> Any:
    """`check_name` tells apart two columns of the same enum in one table."""
    return Field(default=default, sa_type=enum_type(enum, check_name), index=index, **kw)


def money_field(*, default: Any = 0, nullable: bool = False, **kw: Any) -> Any:
    """Integer cents (分). BIGINT so sums of a province's sales never overflow."""
    return Field(default=default, sa_type=sa.BigInteger, nullable=nullable, **kw)


def code_field(**kw: Any) -> Any:
    """The business code users see and import by; unique, so a re-import updates instead of duplicating."""
    return Field(max_length=CODE_LENGTH, unique=True, index=True, **kw)


def table_of(model: type[SQLModel]) -> sa.Table:
    """The model's Core table, typed: SQLModel does not declare `__table__` on its classes."""
    table = sa.inspect(model).local_table
    assert isinstance(table, sa.Table), model
    return table


def quarter_of(month: int) -> int:
    return (month - 1) // 3 + 1


def ck(expr: str, name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(expr, name=name)
