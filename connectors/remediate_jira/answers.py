"""The fields of Jira's answers that the connector reads, validated at the edge.

The connector keeps working on Jira's JSON dicts; :meth:`Transport.request` checks each answer
against one of these shapes first (strict: a value must already have its JSON type), so
``issue["key"]`` is a string wherever it is read, and a malformed answer is one line naming
the request instead of a KeyError, an AttributeError or Jira's body on the terminal.
Shapes are the same on Cloud and Data Center, REST v2 and v3, for the fields read here.
"""

from __future__ import annotations

from remediate.answers import StrictAnswer


class Category(StrictAnswer):
    """``statusCategory``: its ``key`` is new, indeterminate, done or undefined."""

    key: str | None = None


class Status(StrictAnswer):
    """``fields.status``."""

    name: str | None = None
    statusCategory: Category | None = None  # noqa: N815 (Jira's name)


class Resolution(StrictAnswer):
    """``fields.resolution`` (null while unresolved)."""

    name: str | None = None


class Fields(StrictAnswer):
    """The ``fields`` the connector asks for: labels and the state fields."""

    labels: list[str] = []
    status: Status | None = None
    resolution: Resolution | None = None
    updated: str | None = None


class Issue(StrictAnswer):
    """An issue as search, bulk fetch and ``GET /issue/{key}`` return it."""

    id: str
    key: str
    fields: Fields | None = None


class Created(StrictAnswer):
    """An issue as ``POST /issue`` and ``POST /issue/bulk`` return it."""

    id: str
    key: str


class ElementErrors(StrictAnswer):
    """Why one element of a bulk create failed."""

    errors: dict[str, str] = {}
    errorMessages: list[str] = []  # noqa: N815


class BulkError(StrictAnswer):
    """``errors[]`` of a bulk create."""

    failedElementNumber: int  # noqa: N815
    elementErrors: ElementErrors = ElementErrors()  # noqa: N815


class BulkCreated(StrictAnswer):
    """``POST /issue/bulk``: the issues created, in order, and the elements that failed."""

    issues: list[Created] = []
    errors: list[BulkError] = []


class SearchPage(StrictAnswer):
    """One page of ``/search/jql`` (Cloud: ``nextPageToken``, ``isLast``) or ``/search`` (``total``)."""

    issues: list[Issue]
    nextPageToken: str | None = None  # noqa: N815
    isLast: bool | None = None  # noqa: N815
    total: int | None = None


class BulkFetched(StrictAnswer):
    """``POST /issue/bulkfetch`` (keys that do not exist are left out)."""

    issues: list[Issue] = []


class IssueType(StrictAnswer):
    """An issue type of a project's create metadata."""

    id: str
    name: str
    subtask: bool | None = None
    hierarchyLevel: int | None = None  # noqa: N815 (Cloud: 1 epic, 0 standard, -1 sub-task)


class FieldInfo(StrictAnswer):
    """An entry of ``GET /field``: the site's system and custom fields."""

    id: str
    name: str | None = None


class CreateMeta(StrictAnswer):
    """``GET /issue/createmeta/{project}/issuetypes`` (``issueTypes`` on older Data Center)."""

    values: list[IssueType] | None = None
    issueTypes: list[IssueType] | None = None  # noqa: N815


class Transition(StrictAnswer):
    """An entry of ``transitions`` (``expand=transitions``)."""

    id: str
    name: str | None = None
    to: Status | None = None


class WithTransitions(StrictAnswer):
    """``GET /issue/{key}?fields=status&expand=transitions``."""

    fields: Fields | None = None
    transitions: list[Transition] = []


class ServerInfo(StrictAnswer):
    """``GET /serverInfo``: Cloud says ``deploymentType: "Cloud"``, Data Center "Server" or nothing."""

    deploymentType: str | None = None  # noqa: N815
