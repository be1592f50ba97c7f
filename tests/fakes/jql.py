"""The slice of JQL the fake Jira understands, failing like Jira on what it cannot run.

Supported: ``field op value`` clauses joined by AND, ``in``/``not in`` lists, and ORDER BY.
Fields: project, labels, updated, created, key/issuekey, id, status, statusCategory, parent.
Anything else is a 400, as on a real site for an unknown field (the fake never guesses).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>>=|<=|!=|=|>|<|~)|(?P<punct>[(),])|(?P<word>[^\s(),=!<>~"]+))'
)
_RELATIVE = re.compile(r"^([+-]?)(\d+)([wdhm])$")
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}


class JQLError(Exception):
    """A query Jira would answer with 400; ``str()`` is Jira's message."""


@dataclass(frozen=True)
class Clause:
    """One ``field op value(s)`` restriction."""

    field: str
    op: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    """A parsed query: AND-ed clauses and ORDER BY terms."""

    clauses: tuple[Clause, ...]
    order: tuple[tuple[str, bool], ...]  # (field, descending)


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise JQLError(f"Error in the JQL Query: unexpected character at position {pos}.")
        out.append(match.group(match.lastgroup or "word"))
        pos = match.end()
    return out


def _unquote(token: str) -> str:
    if token.startswith('"'):
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def parse(text: str) -> Query:
    """Parse ``text``; raise JQLError with Jira's wording when it is not valid."""
    tokens = _tokens(text)
    clauses: list[Clause] = []
    order: list[tuple[str, bool]] = []
    i = 0

    def expect_value() -> str:
        nonlocal i
        if i >= len(tokens) or tokens[i] in ("(", ")", ","):
            raise JQLError("Error in the JQL Query: Expecting either a value, list or function.")
        value = _unquote(tokens[i])
        i += 1
        return value

    while i < len(tokens):
        word = tokens[i].lower()
        if word == "order" and i + 1 < len(tokens) and tokens[i + 1].lower() == "by":
            i += 2
            while i < len(tokens):
                field = tokens[i].lower()
                i += 1
                descending = False
                if i < len(tokens) and tokens[i].lower() in ("asc", "desc"):
                    descending = tokens[i].lower() == "desc"
                    i += 1
                order.append((field, descending))
                if i < len(tokens) and tokens[i] == ",":
                    i += 1
            break
        if clauses:
            if word == "or":
                raise JQLError("fake Jira: OR is not supported by this fake")
            if word != "and":
                raise JQLError(f"Error in the JQL Query: Expecting 'AND' but got '{tokens[i]}'.")
            i += 1
        field = _unquote(tokens[i]).lower()
        i += 1
        if i >= len(tokens):
            raise JQLError("Error in the JQL Query: Expecting operator.")
        op = tokens[i].lower()
        i += 1
        if op == "not" and i < len(tokens) and tokens[i].lower() == "in":
            op, i = "not in", i + 1
        if op in ("in", "not in"):
            if i >= len(tokens) or tokens[i] != "(":
                raise JQLError("Error in the JQL Query: Expecting '(' after 'in'.")
            i += 1
            values: list[str] = []
            while True:
                values.append(expect_value())
                if i < len(tokens) and tokens[i] == ",":
                    i += 1
                    continue
                if i < len(tokens) and tokens[i] == ")":
                    i += 1
                    break
                raise JQLError("Error in the JQL Query: Expecting ')' or ','.")
            clauses.append(Clause(field, op, tuple(values)))
        elif op in ("=", "!=", ">=", "<=", ">", "<"):
            clauses.append(Clause(field, op, (expect_value(),)))
        else:
            raise JQLError(f"Error in the JQL Query: The operator '{op}' is not supported.")
    return Query(tuple(clauses), tuple(order))


def parse_date(value: str, now: datetime) -> datetime:
    """A JQL date: relative (``-15m``) or absolute (``yyyy-MM-dd[ HH:mm]``, read as UTC here)."""
    match = _RELATIVE.match(value.strip())
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return now + sign * int(match.group(2)) * _UNITS[match.group(3)]
    for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise JQLError(
        f"Date value '{value}' for field 'updated' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format "
        "e.g. '-5d', '4w 2d'."
    )


Issue = Mapping[str, Any]


def matcher(
    query: Query,
    *,
    now: datetime,
    project_exists: Callable[[str], bool],
    key_exists: Callable[[str], bool],
) -> Callable[[Issue], bool]:
    """A predicate over fake issue snapshots; unknown fields/values raise JQLError like Jira."""
    tests: list[Callable[[Issue], bool]] = []
    for clause in query.clauses:
        tests.append(_clause_test(clause, now, project_exists, key_exists))
    return lambda issue: all(test(issue) for test in tests)


def _compare(op: str, left: Any, right: Any) -> bool:
    return {
        "=": left == right,
        "!=": left != right,
        ">=": left >= right,
        "<=": left <= right,
        ">": left > right,
        "<": left < right,
    }[op]


def _clause_test(
    clause: Clause,
    now: datetime,
    project_exists: Callable[[str], bool],
    key_exists: Callable[[str], bool],
) -> Callable[[Issue], bool]:
    field, op, values = clause.field, clause.op, clause.values
    folded = {v.casefold() for v in values}
    negate = op in ("!=", "not in")
    if field == "project":
        for value in values:
            if not project_exists(value):
                raise JQLError(f"The value '{value}' does not exist for the field 'project'.")
        return lambda i: (i["project"].casefold() in folded or i["project_id"] in values) != negate
    if field == "labels":
        return lambda i: bool(folded & {label.casefold() for label in i["fields"]["labels"]}) != negate
    if field in ("key", "issuekey", "issue"):
        if op in ("=", "!=", "in", "not in"):
            for value in values:
                if not key_exists(value):
                    raise JQLError(f"An issue with key '{value}' does not exist for field 'key'.")
            return lambda i: (i["key"].casefold() in folded or i["id"] in values) != negate
        raise JQLError(f"The operator '{op}' is not supported by the 'key' field in this fake.")
    if field == "id":
        return lambda i: (i["id"] in values) != negate
    if field in ("updated", "created"):
        if op in ("in", "not in"):
            raise JQLError(f"The operator '{op}' is not supported by the '{field}' field.")
        when = parse_date(values[0], now)
        return lambda i: _compare(op, i["_" + field], when)
    if field == "status":
        return lambda i: (i["fields"]["status"]["name"].casefold() in folded) != negate
    if field == "statuscategory":
        return lambda i: (
            (
                i["fields"]["status"]["statusCategory"]["name"].casefold() in folded
                or i["fields"]["status"]["statusCategory"]["key"] in folded
            )
            != negate
        )
    if field == "parent":
        return lambda i: ((i["fields"].get("parent") or {}).get("key", "").casefold() in folded) != negate
    raise JQLError(f"Field '{field}' does not exist or you do not have permission to view it.")


def sort_key(order: tuple[tuple[str, bool], ...]) -> Callable[[Issue], Any]:
    """Sort key for ORDER BY; ascending id when there is none (Jira's default is by key too)."""

    def key(issue: Issue) -> tuple[Any, ...]:
        parts: list[Any] = []
        for field, descending in order or (("key", False),):
            if field in ("key", "issuekey"):
                value: Any = (issue["project"], int(issue["key"].rsplit("-", 1)[1]))
                value = (value[0], -value[1]) if descending else value
            elif field in ("updated", "created"):
                stamp = issue["_" + field].timestamp()
                value = -stamp if descending else stamp
            elif field == "id":
                value = -int(issue["id"]) if descending else int(issue["id"])
            else:
                raise JQLError(f"Field '{field}' does not exist or you do not have permission to view it.")
            parts.append(value)
        return tuple(parts)

    return key
