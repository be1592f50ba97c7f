"""The connector contract: what every tracker (local, GitHub, Jira, a third party's) implements.

A connector is a class registered in the ``remediate.connectors`` entry-point
group. The core finds names cheaply with :func:`discover` and imports only the
one it needs with :func:`load`, so heavy client libraries (PyGithub, jira) are
never imported by ``remediate --help`` or ``remediate parse``.

The sync engine talks to a connector through six verbs (see :class:`Connector`)
and plain frozen value objects defined here: :class:`TicketDraft` (what an item
should look like as a ticket), :class:`TicketRef` (where its ticket is) and
:class:`TicketState` (what the tracker says about it). Connectors raise only
:class:`remediate.errors.ConnectorError` subclasses; they translate their
client library's exceptions at the edge.

The tracker is the identity of record: the engine stores each ref as soon as
``create`` yields it, and before creating anything it asks ``find`` for the
markers of the items it has no link for, so a crash before the link, or a new
or lost database, never files a ticket twice.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

from remediate.errors import ConfigError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint
    from typing import Self

    from pydantic import BaseModel

ENTRY_POINT_GROUP = "remediate.connectors"

#: Fields of a draft whose change makes the engine call ``update``.
DRAFT_FIELDS = frozenset({"title", "text", "section", "owner", "due", "priority", "done"})


class Status(enum.StrEnum):
    """Where a ticket stands, in the four words every tracker can be mapped to."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_DOING = "not_doing"  # closed without doing it: won't do, not planned, duplicate

    @property
    def closed(self) -> bool:
        """True for the states that end an item's life (done or not doing)."""
        return self in (Status.DONE, Status.NOT_DOING)


@dataclass(frozen=True)
class PostmortemInfo:
    """What a ticket needs to know about the postmortem its item came from."""

    id: str
    title: str | None
    date: date | None
    source: str  # path as given, relative when possible
    link: str | None = None  # URL (or repository path) a reader can open


@dataclass(frozen=True)
class TicketDraft:
    """One action item as the tracker should show it; the engine builds it from the document."""

    item_id: str  # stable id; connectors put it in a hidden marker for ``find``
    title: str  # already shortened to a sensible ticket title
    text: str  # the whole item text
    section: str
    owner: str | None
    due: date | None
    priority: str | None
    done: bool | None  # what the document says (checkbox, DONE marker); None if it says nothing
    postmortem: PostmortemInfo

    @property
    def priority_level(self) -> str | None:
        """The priority as P0-P4 (``[high]`` -> P1): what trackers' priority fields are mapped from."""
        from remediate.parsing.vocabulary import priority_level

        return priority_level(self.priority)

    def changed_fields(self, other: TicketDraft) -> frozenset[str]:
        """The DRAFT_FIELDS whose values differ between ``self`` and ``other``."""
        return frozenset(f for f in DRAFT_FIELDS if getattr(self, f) != getattr(other, f))


@dataclass(frozen=True, slots=True)  # one per linked item: 100,000 in a large sync
class TicketRef:
    """Where an item's ticket lives. ``key`` is what people type (``#12``, ``OPS-42``)."""

    tracker: str  # connector name
    key: str
    url: str | None = None
    remote_id: str | None = None  # an id the tracker needs besides the key (GitHub issue id, Jira id)


@dataclass(frozen=True)
class TicketState:
    """What the tracker says about one ticket."""

    ref: TicketRef
    status: Status
    updated_at: datetime | None = None
    detail: str | None = None  # the tracker's own words: "closed: not_planned", "Won't Do"
    # Set when the ticket cannot be read any more; ``detail`` then says where it went if known.
    missing: Literal["deleted", "moved", "inaccessible"] | None = None


@dataclass(frozen=True)
class Created:
    """One ticket that ``create`` made (or adopted); the engine stores the link at once."""

    item_id: str
    ref: TicketRef


class StateCache(Protocol):
    """Small persistent strings a connector keeps between runs (ETags, cursors); never secrets."""

    def get(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        ...

    def set(self, key: str, value: str | None) -> None:
        """Store ``value`` under ``key`` (None deletes it)."""
        ...


class MemoryCache:
    """A StateCache that lives as long as the process (tests, --dry-run)."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        return self._data.get(key)

    def set(self, key: str, value: str | None) -> None:
        """Store ``value`` under ``key`` (None deletes it)."""
        if value is None:
            self._data.pop(key, None)
        else:
            self._data[key] = value


@dataclass(frozen=True)
class ConnectorContext:
    """What the core hands a connector when it builds one."""

    env: Mapping[str, str] = field(repr=False)  # tokens among them: never in a repr()
    # The open state store, for trackers that keep their tickets in it (the local tracker).
    store: Any = None
    # CLI overrides as given (``--set``, dotted keys), e.g. {"repo": "o/r", "tracking.mode": "task-list"};
    # already applied to the validated Config.
    options: Mapping[str, Any] = field(default_factory=dict)
    # Persistent per-connector strings; the engine passes one backed by the database.
    cache: StateCache = field(default_factory=MemoryCache)


def map_owner(owner: str | None, mapping: Mapping[str, str]) -> str | None:
    """Look a document owner up in a connector's owner map: case and a leading '@' do not matter.

    Returns None when the owner is unknown; the caller warns and leaves the ticket unassigned.
    """
    if not owner:
        return None
    wanted = owner.strip().lstrip("@").casefold()
    for name, account in mapping.items():
        if name.strip().lstrip("@").casefold() == wanted:
            return account
    return None


@runtime_checkable
class Connector(Protocol):
    """A tracker. Every method raises only ConnectorError subclasses."""

    name: ClassVar[str]  # the entry-point name, e.g. "github"
    Config: ClassVar[type[BaseModel]]  # validates [connectors.<name>]; secrets come from env
    # Optional: ``credentials_problem(config, env) -> str | None`` (a classmethod) says, without
    # any request, what the environment lacks for this tracker (``remediate doctor --offline``).
    # Optional: config keys taken from environment variables when the config and the options
    # leave them unset, e.g. {"repo": "GITHUB_REPOSITORY"}. Never secrets (those are read by
    # the connector from ConnectorContext.env).
    # Optional: ``finds_at_once: ClassVar[bool]``, True when ``find`` sees a ticket the moment
    # ``create`` returned it (the local tracker): the engine then commits a chunk's links together.

    @classmethod
    def from_config(cls, config: Any, context: ConnectorContext) -> Self:
        """Build a connector from its validated Config; must not make any request."""
        ...

    def claim(self, reference: str) -> TicketRef | None:
        """Return the ticket a document reference (``#12``, a URL, ``OPS-42``) names, if it is ours.

        The parser knows no tracker: the engine offers every reference an item names, as written
        (``#12``, ``owner/repo#12``, ``OPS-42``, any ticket URL, e.g. another tracker's), so
        recognise only your own forms (your host, your project). Pure: no request. The engine
        links the item to that ticket instead of creating one.
        """
        ...

    def find(self, drafts: Sequence[TicketDraft]) -> Mapping[str, TicketRef]:
        """Look up tickets carrying these items' markers; return {item_id: ref} for those found.

        Called right before ``create`` for every item the database has no link for (after a
        crash, or with a new or lost database): one batched read, so it must be cheap.
        """
        ...

    def create(self, drafts: Sequence[TicketDraft]) -> Iterator[Created]:
        """Create one ticket per draft, yielding each as soon as it exists.

        Batching (Jira bulk create) and pacing (GitHub content limits) are the connector's job.
        A draft with ``done=True`` is created and then closed as done.
        """
        ...

    def update(self, ref: TicketRef, draft: TicketDraft, changed: frozenset[str]) -> TicketRef:
        """Bring the ticket in line with ``draft``; ``changed`` names the fields that differ.

        Returns the ref, which may have changed (a moved issue). Never recreates the ticket.
        """
        ...

    def states(self, refs: Sequence[TicketRef], since: datetime | None) -> Iterator[TicketState]:
        """Yield the state of each of ``refs`` that changed after ``since`` (all of them if None).

        Batched and incremental; tickets that were deleted or moved come back with ``missing``.
        """
        ...

    def sync_group(
        self, postmortem: PostmortemInfo, group: TicketRef | None, members: Sequence[TicketRef]
    ) -> TicketRef | None:
        """Create or refresh the per-postmortem grouping ticket (tracking issue, epic).

        ``group`` is the ref stored by the last call (None the first time). Return the group's
        ref, or None for trackers without groups. Called only when membership or title changed.
        """
        ...


CheckStatus = Literal["ok", "info", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """The outcome of one ``remediate doctor`` check; ``fix`` says what to do when it is not ok.

    ``detail`` is one line. For a failed live check it starts with what kind of failure it is:
    ``unreachable``, ``credentials refused (401)``, ``forbidden (403)``, ``not found (404)``,
    ``missing scope`` or ``credentials missing``.
    """

    name: str
    status: CheckStatus
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


@runtime_checkable
class LiveCheck(Protocol):
    """Optional: a connector that can prove, cheaply, that its credentials and target work.

    ``remediate doctor`` calls ``check()`` when a connector has it (and says "no live check
    available" when it has not). Each check is one or two read-only requests: who am I (the
    credentials are accepted, the token has the scopes it needs) and can I see the configured
    repository or project. ``check()`` does not raise for a failure it can describe: it returns
    a ``fail`` Check naming the failed step, and skips the steps that depend on it. Checks must
    give up quickly (no retries) and their details must never contain a secret.
    """

    def check(self) -> Sequence[Check]:
        """Run the live checks; names are short (``token``, ``scopes``, ``repository``)."""
        ...


def error_check(name: str, error: Exception, fix: str | None = None, *, subject: str = "") -> Check:
    """A failed Check for an error a live check raised, its kind of failure first.

    ``subject`` names what a 404 means was not found ("repository", "project").
    """
    from remediate.errors import AuthError, ConnectorError, NotFound, RateLimited, Unavailable

    message = str(error.args[0]) if error.args else error.__class__.__name__
    status = error.status if isinstance(error, ConnectorError) else None
    if status == 401:
        kind = "credentials refused (401)"
    elif status == 403:
        kind = "forbidden (403)"
    elif isinstance(error, NotFound) or status == 404:
        kind = f"{subject} not found (404)".strip()
    elif isinstance(error, RateLimited) or status == 429:
        kind = "rate limited"
    elif isinstance(error, Unavailable):
        kind = f"unavailable ({status})" if status else "unreachable"
    elif isinstance(error, AuthError):
        kind = "credentials missing"
    else:
        kind = "failed"
    return Check(name, "fail", f"{kind}: {message}", fix)


def unreachable_check(name: str, where: str, error: Exception, fix: str | None = None) -> Check:
    """A failed Check for a tracker that did not answer (or only with 5xx) after one attempt.

    Transports word these errors for a sync ("kept failing ... try again later"); a live check
    makes one attempt, so this says what it met: the exception class, a timeout or the status.
    """
    import re

    message = str(error.args[0]) if error.args else ""
    status = re.search(r"HTTP (\d{3})", message)
    found = re.search(r"\b([A-Z][A-Za-z]{0,60}(?:Error|Timeout))\b", message)
    if status:
        problem = f"HTTP {status.group(1)}"
    elif "in time" in message or "timed out" in message.lower():
        problem = "timed out"
    else:
        problem = found.group(1) if found else error.__class__.__name__
    return Check(name, "fail", f"unreachable: no answer from {where} ({problem})", fix)


class WebhookError(Exception):
    """A webhook delivery refused: ``status`` is the HTTP answer (401, 400, 404), the message one line.

    The message is logged and sent back; it must never contain the secret or the signature.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class WebhookRequest:
    """One POST to ``/hooks/<tracker>[/<path>]`` as the service received it."""

    headers: Mapping[str, str]  # names lower-cased
    body: bytes  # the raw body, exactly as signed
    path: str = ""  # what follows /hooks/<tracker>/ (a secret in the URL, for trackers that sign nothing)


@dataclass(frozen=True)
class WebhookEvent:
    """What a verified delivery says, in the core's words.

    ``kind``: ``ping`` (a test delivery: answered 200, nothing done), ``tickets`` (``refs`` may have
    changed: the core reads their state from the tracker, never from the payload) or ``ignored``
    (an event remediate has no use for). ``delivery`` is the tracker's id of the delivery (the same
    on a redelivery), None when the tracker sends none (the core then uses a digest of the body).
    """

    kind: Literal["ping", "tickets", "ignored"]
    delivery: str | None
    refs: tuple[TicketRef, ...] = ()
    event: str = ""  # the tracker's name for it, for the log: "issues.closed", "jira:issue_updated"


@runtime_checkable
class Webhooks(Protocol):
    """Optional: a tracker whose webhook deliveries ``remediate schedule --http`` can receive.

    ``verify_webhook`` is a classmethod, called before any connector is built: it checks the
    delivery's signature (or token) against the secret in ``env``, in constant time, and parses
    the payload into a :class:`WebhookEvent`. It raises :class:`WebhookError` with 401 for a
    missing or wrong signature, 400 for a body that is not the event it claims to be, and 404
    when no secret is configured (hooks for this tracker are off). It makes no request.

    ``read_tickets`` reads the current state of exactly the tickets a delivery named, one cheap
    read each, without touching the incremental-read bookkeeping of ``states`` (cursors, the time
    of the last full read): the scheduled refresh must go on as if no hook had come.

    Optional: ``webhook_secret_env`` (a class attribute), the environment variable holding the
    secret ``verify_webhook`` checks against (see :func:`webhook_secret`).
    """

    @classmethod
    def verify_webhook(cls, request: WebhookRequest, env: Mapping[str, str]) -> WebhookEvent:
        """Verify and parse one delivery (see the class docstring)."""
        ...

    def read_tickets(self, refs: Sequence[TicketRef]) -> Iterator[TicketState]:
        """The state of each of ``refs`` now, missing ones included."""
        ...


def webhook_secret(cls: Any, env: Mapping[str, str]) -> str | None:
    """The webhook secret of connector class ``cls`` from ``env``, stripped; None when not set.

    A connector names the variable its ``verify_webhook`` reads in ``webhook_secret_env`` (a
    class attribute, optional): ``remediate hooks install`` sends that secret to the tracker, and
    the scheduled refresh runs less often by default while it is set. Connectors without the
    attribute count as having no webhooks configured.
    """
    var = getattr(cls, "webhook_secret_env", None)
    value = env.get(var, "").strip() if isinstance(var, str) and var else ""
    return value or None


@dataclass(frozen=True)
class HookInstall:
    """What ``remediate hooks install`` did on the tracker (or, for ``manual``, what to do by hand).

    ``action``: ``created`` (a new webhook), ``updated`` (an existing one for the URL had other
    settings; ``changed`` names them), ``unchanged`` (already right: nothing written) or
    ``manual`` (a tracker without an API for it: ``instructions`` are the admin's steps).
    """

    tracker: str
    action: Literal["created", "updated", "unchanged", "manual"]
    url: str
    target: str  # where the hook lives: "acme/api", "group/project", a Jira site
    hook_id: str | None = None
    changed: tuple[str, ...] = ()
    instructions: str = ""
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields (never the secret: this object does not hold it)."""
        return asdict(self)


@runtime_checkable
class InstallsWebhooks(Protocol):
    """Optional: a tracker that can register its webhook through its API (GitHub, GitLab).

    ``install_webhook`` is idempotent: it looks for a webhook whose URL is ``url``; it creates
    one when there is none, updates the one there when its events or settings differ, and
    writes nothing when it is already right. Trackers never show a webhook's secret back, so a
    changed secret cannot be seen: ``rotate_secret`` sends it again on an existing webhook.
    The secret is never logged, returned or put in an error message. A token that may not
    manage webhooks is an AuthError saying which right or scope it needs.
    """

    def install_webhook(self, url: str, secret: str, *, rotate_secret: bool = False) -> HookInstall:
        """Create or update the webhook for ``url`` (see the class docstring)."""
        ...


@runtime_checkable
class WebhookInstructions(Protocol):
    """Optional: a tracker whose webhooks an admin registers by hand (Jira's System > WebHooks).

    ``webhook_instructions`` returns the steps, for ``url``, as plain text lines: where to go,
    which events, which filter, and which environment variable holds the secret (never its
    value). It makes no request.
    """

    def webhook_instructions(self, url: str) -> str:
        """The admin's steps to register the webhook for ``url``."""
        ...


def signature_matches(secret: str, body: bytes, given: str | None, *, prefix: str = "sha256=") -> bool:
    """True when ``given`` is ``prefix`` + the hex HMAC-SHA256 of ``body`` keyed with ``secret``.

    Constant-time (:func:`hmac.compare_digest`); a missing or malformed value is simply False.
    """
    import hashlib
    import hmac

    if not secret or not given or not given.startswith(prefix):
        return False
    expected = prefix + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def webhook_json(body: bytes) -> dict[str, Any]:
    """A delivery's body as a JSON object, else a WebhookError 400."""
    import json

    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise WebhookError(400, "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookError(400, "the body is not a JSON object")
    return payload


def token_matches(secret: str, given: str | None) -> bool:
    """True when ``given`` equals ``secret`` (constant-time); an empty secret matches nothing."""
    import hmac

    if not secret or given is None:
        return False
    return hmac.compare_digest(secret.encode(), given.encode())


@runtime_checkable
class Deduplicates(Protocol):
    """Optional: a tracker that can list every ticket of a marker and close one as a duplicate.

    Two syncs on separate databases (two CI runners, each with a lost cache) can both file an
    item in the instant between one's ``find`` and its ``create``. ``remediate dedupe`` and
    ``doctor`` use these two verbs to find such pairs and close the later ticket; ``sync`` checks
    what it has just created. A ticket closed by ``close_duplicate`` is no longer returned by
    ``find`` or ``find_all``.
    """

    def find_all(self, drafts: Sequence[TicketDraft]) -> Mapping[str, Sequence[TicketRef]]:
        """Every live ticket carrying each item's marker, oldest first; items with none left out."""
        ...

    def close_duplicate(self, ref: TicketRef, original: TicketRef) -> None:
        """Comment that ``ref`` duplicates ``original`` and close it as a duplicate (not as done)."""
        ...


# --- discovery -----------------------------------------------------------------------------


def discover() -> dict[str, EntryPoint]:
    """Return the registered connectors by name, without importing any of them."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_class(name: str) -> type[Connector]:
    """Import the connector registered as ``name``; errors name the culprit package."""
    found = discover()
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise ConfigError(f"unknown tracker {name!r} (installed connectors: {known})")
    entry_point = found[name]
    try:
        cls = entry_point.load()
    except Exception as exc:  # a broken plugin must not look like our bug
        dist = entry_point.dist.name if entry_point.dist else entry_point.value
        raise ConfigError(f"connector {name!r} from {dist} failed to load: {exc.__class__.__name__}: {exc}") from exc
    missing = [attr for attr in ("name", "Config", "from_config") if not hasattr(cls, attr)]
    if missing:
        raise ConfigError(
            f"connector {name!r} ({entry_point.value}) does not implement the connector "
            f"protocol: missing {', '.join(missing)}"
        )
    return cls  # type: ignore[no-any-return]


def configure(
    name: str,
    raw_config: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    config_path: Any = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[type[Connector], Any]:
    """Import connector ``name`` and validate its config.

    Later sources win: settings a connector takes from the environment by default (its
    ``env_defaults``, e.g. GitHub's ``repo`` from ``GITHUB_REPOSITORY`` in an Actions runner),
    then the TOML table, then CLI options: ``--set KEY=VALUE`` (dotted keys reach nested
    tables; ``--repo``/``--project`` are ``--set repo=``/``--set project=``), checked against
    the connector's own Config, so the core knows no tracker's settings.
    """
    from remediate.settings import merge_tables, overrides, validate

    cls = load_class(name)
    env_defaults: Mapping[str, str] = getattr(cls, "env_defaults", {})
    from_env = {key: environ[var] for key, var in env_defaults.items() if environ and environ.get(var)}
    given = overrides(cls.Config, options, owner=f"the {name} connector")
    merged = merge_tables({**from_env, **raw_config}, given)
    try:
        return cls, validate(
            cls.Config,
            merged,
            config_path,
            table=f"connectors.{name}",
            overridden=[k for k, v in options.items() if v is not None],
        )
    except ConfigError as exc:
        message = str(exc)
        for key, var in env_defaults.items():
            message = message.replace(f"{key} <- Field required", f"{key} <- Field required (or set {var})")
        raise ConfigError(message) from None


def load(
    name: str,
    raw_config: Mapping[str, Any],
    context: ConnectorContext,
    *,
    config_path: Any = None,
) -> Connector:
    """Import, configure and build the connector ``name``."""
    cls, config = configure(name, raw_config, context.options, config_path=config_path)
    return cls.from_config(config, context)
