"""Quoting for the SQL this package writes itself: one literal and one identifier rule."""

from __future__ import annotations


def literal(text) -> str:
    """A SQL string literal: `it's` -> `'it''s'`."""
    return "'" + str(text).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier: a name with a double quote has it doubled."""
    return '"' + str(name).replace('"', '""') + '"'
