"""One connected Jira site: credentials chosen, deployment known, and the shared helpers.

The connector builds a :class:`Site` on its first call (``from_config`` makes no request).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import requests
from jira import JIRA

from remediate import answers as shared
from remediate.connectors import ConnectorContext, PostmortemInfo, TicketRef
from remediate.errors import AuthError, Conflict, ConnectorError, NotFound
from remediate.secrets import credential_forms, scrub_error
from remediate_jira import answers
from remediate_jira.auth import Credentials, choose_credentials
from remediate_jira.config import Config
from remediate_jira.fields import FieldBuilder
from remediate_jira.markup import safe_url
from remediate_jira.search import Searcher
from remediate_jira.transport import Rejected, Transport

log = logging.getLogger("remediate.jira")
Deployment = Literal["cloud", "datacenter"]


class Site:
    """The Jira site the connector talks to, connected lazily on first use."""

    def __init__(
        self,
        config: Config,
        context: ConnectorContext,
        server: str,
        *,
        sleep: Callable[[float], None],
        clock: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.context = context
        self.server = server
        self.sleep = sleep
        self.clock = clock
        self._transport: Transport | None = None
        self._deployment: Deployment | None = None
        self._issue_types: dict[str, str] | None = None  # name (casefolded) -> id
        self._field_ids: dict[str, str] | None = None  # the site's fields by name, once read

    @property
    def transport(self) -> Transport:
        """The connected transport (connects on first access)."""
        return self._connect()

    @property
    def deployment(self) -> Deployment:
        """cloud or datacenter (connects on first access)."""
        self._connect()
        assert self._deployment is not None
        return self._deployment

    @property
    def searcher(self) -> Searcher:
        """JQL search for this deployment."""
        return Searcher(self.transport, self.deployment)

    @property
    def fields(self) -> FieldBuilder:
        """Field builder for this deployment and API version."""
        return FieldBuilder(self.config, self.deployment, self.config.api_version, self.parent_field)

    def parent_field(self) -> str | None:
        """The field that puts an issue under an epic: ``parent_field``, else ``parent`` on Cloud and
        the field named Epic Link on Data Center (one ``GET /field``), None when the site has none."""
        if self.config.parent_field:
            return self.config.parent_field
        if self.deployment == "cloud":
            return "parent"
        return self._field_named("epic link")

    def epic_name_field(self) -> str | None:
        """Data Center's Epic Name field (an Epic is created with one), None on Cloud or if absent."""
        return None if self.deployment == "cloud" else self._field_named("epic name")

    def _field_named(self, name: str) -> str | None:
        """The id of the site's field called ``name`` (case-insensitive); ``GET /field`` once."""
        if self._field_ids is None:
            found = self.transport.request("GET", "field", "read the fields of the site", shape=list[answers.FieldInfo])
            self._field_ids = {str(f.get("name") or "").casefold(): str(f["id"]) for f in found or []}
        return self._field_ids.get(name) or None

    def has_issue_type(self, name: str) -> bool:
        """Whether the project has issue type ``name`` (reads the project's types once)."""
        return name.casefold() in self._read_issue_types()

    def ref(self, raw: Mapping[str, Any]) -> TicketRef:
        """A TicketRef for an issue as Jira returned it (key, id)."""
        key = str(raw["key"])
        issue_id = str(raw.get("id") or "") or None
        return TicketRef("jira", key, f"{self.server}/browse/{key}", issue_id)

    def _connect(self) -> Transport:
        if self._transport is not None:
            return self._transport
        override = None if self.config.deployment == "auto" else self.config.deployment
        chosen = choose_credentials(self.context.env, override)
        deployment = override
        if isinstance(chosen, tuple):
            # Both kinds of credentials are set: ask the site (anonymously) which it is.
            deployment = self._probe_deployment()
            chosen = chosen[0] if deployment == "cloud" else chosen[1]
        transport = Transport(
            server=self.server,
            session=requests.Session(),  # replaced by the library's session below
            api_version=self.config.api_version,
            credential_vars=chosen.variables,
            secrets=[
                chosen.secret.get_secret_value(),
                *credential_forms(chosen.user, chosen.secret.get_secret_value()),
            ],
            max_retries=self.config.max_retries,
            max_wait=self.config.max_wait,
            timeout=self.config.timeout,
            max_total_wait=self.config.max_total_wait,
            sleep=self.sleep,
            clock=self.clock,
        )
        client = transport.call("connect", lambda: self._client_for(chosen))
        transport.session = client._session
        if deployment is None:
            # Read here rather than by the library, which logs a malformed answer whole.
            info = transport.request(
                "GET", f"{self.server}/rest/api/2/serverInfo", "read the server info", shape=answers.ServerInfo
            )
            deployment = "cloud" if info.get("deploymentType") == "Cloud" else "datacenter"
        if deployment == "datacenter" and self.config.api_version == 3:
            raise NotFound(
                "Jira Data Center has no REST API v3: set [connectors.jira] api_version = 2",
                tracker="jira",
            )
        self._deployment, self._transport = deployment, transport
        return transport

    def _client_for(self, credentials: Credentials) -> JIRA:
        auth: dict[str, Any] = (
            {"basic_auth": (credentials.user, credentials.secret.get_secret_value())}
            if credentials.kind == "basic"
            else {"token_auth": credentials.secret.get_secret_value()}
        )
        return JIRA(
            self.server,
            # The library itself only reads serverInfo, which v2 serves on every deployment;
            # our own requests use the configured version (Transport.url).
            options={"rest_api_version": "2", "check_update": False},
            get_server_info=False,  # _connect reads serverInfo itself, validated
            max_retries=0,  # Transport retries, with an injected sleep and no blind POST replays
            timeout=self.config.timeout,
            **auth,
        )

    def _probe_deployment(self) -> Literal["cloud", "datacenter"]:
        probe = Transport(
            server=self.server,
            session=requests.Session(),
            api_version=2,
            credential_vars="JIRA_USER and JIRA_API_TOKEN or JIRA_PAT",
            max_retries=self.config.max_retries,
            max_wait=self.config.max_wait,
            timeout=self.config.timeout,
            max_total_wait=self.config.max_total_wait,
            sleep=self.sleep,
            clock=self.clock,
        )

        def read() -> Any:
            # call() shrinks the timeout it leaves on the session to what the budget has left.
            timeout = getattr(probe.session, "timeout", None) or self.config.timeout
            response = probe.session.get(probe.url("serverInfo"), timeout=timeout)
            response.raise_for_status()
            return response.json()

        try:
            info = probe.call("read the server info", read)
        except ConnectorError:
            info = None
        if not isinstance(info, dict):
            raise AuthError(
                "both JIRA_USER/JIRA_API_TOKEN and JIRA_PAT are set and the site did not say "
                'whether it is Cloud: set [connectors.jira] deployment = "cloud" or "datacenter"',
                tracker="jira",
            )
        return "cloud" if info.get("deploymentType") == "Cloud" else "datacenter"

    def issue_type_id(self, name: str) -> str:
        """The id of issue type ``name`` in the project; reads the project's types once."""
        types = self._read_issue_types()
        found = types.get(name.casefold())
        if found is None:
            available = ", ".join(sorted(types)) or "none"
            raise NotFound(
                f"issue type {name!r} does not exist in Jira project {self.config.project} "
                f"(available: {available}): check [connectors.jira] "
                + ("group_issue_type" if name == self.config.group_issue_type else "issue_type"),
                tracker="jira",
            )
        return found

    def _read_issue_types(self) -> dict[str, str]:
        if self._issue_types is None:
            what = f"read the issue types of project {self.config.project}"
            try:
                page = self.transport.request(
                    "GET",
                    f"issue/createmeta/{self.config.project}/issuetypes",
                    what,
                    params={"maxResults": 200},
                    shape=answers.CreateMeta,
                )
            except NotFound:
                raise NotFound(
                    f"Jira project {self.config.project} does not exist or the account cannot "
                    "create issues in it: check [connectors.jira] project (or --project)",
                    tracker="jira",
                ) from None
            types = (page or {}).get("issueTypes") or (page or {}).get("values") or []
            self._issue_types = {str(t["name"]).casefold(): str(t["id"]) for t in types}
        return self._issue_types

    def link_postmortem(self, ref: TicketRef, postmortem: PostmortemInfo, item_id: str | None) -> None:
        """Upsert the web link from ``ref`` to the postmortem document (skipped without a URL)."""
        url = safe_url(postmortem.link)
        if url is None:
            return
        lead = f"Action item {item_id}, from " if item_id else "Action items from "
        body = {
            # Upsert key: the same globalId on the same issue updates the link in place.
            "globalId": f"remediate:postmortem={postmortem.id}",
            "application": {"type": "io.remediate", "name": "remediate"},
            "relationship": "postmortem",
            "object": {
                "url": url,
                "title": f"Postmortem: {postmortem.title or postmortem.id}"[:255],
                "summary": (lead + postmortem.source)[:255],
            },
        }
        try:
            self.transport.request(
                "POST",
                f"issue/{ref.key}/remotelink",
                f"link {ref.key} to its postmortem",
                body=body,
            )
        except (Rejected, AuthError, shared.Malformed) as err:
            # The issue exists and is linked in our database; a missing web link is not worth
            # failing the sync for.
            log.warning("Jira: could not add the postmortem link to %s: %s", ref.key, err)

    def explain(self, err: Rejected, what: str) -> ConnectorError:
        if err.status != 400:
            return err
        return self.explain_fields(err.errors, err.messages, what) or err

    def explain_fields(self, errors: Mapping[str, str], messages: Sequence[str], what: str) -> ConnectorError | None:
        where = f"{self.config.issue_type} issues in project {self.config.project}"
        for field, message in errors.items():
            if message.rstrip(".").lower().endswith("is required"):
                return Conflict(
                    f"Jira requires field {field} ({message}) for {where}: set it in "
                    f"[connectors.jira] fields, e.g. fields = {{ {field} = ... }}",
                    tracker="jira",
                )
        if "project" in errors:
            return NotFound(
                f"Jira refused project {self.config.project} ({errors['project']}): check "
                "[connectors.jira] project (or --project)",
                tracker="jira",
            )
        if "issuetype" in errors:
            return NotFound(
                f"Jira refused issue type {self.config.issue_type!r} ({errors['issuetype']}): "
                "check [connectors.jira] issue_type",
                tracker="jira",
            )
        if errors:
            detail = "; ".join(f"{f}: {m}" for f, m in errors.items())
            return Conflict(
                f"Jira rejected the fields to {what} ({detail}): check [connectors.jira] "
                "(priorities, owners, components, parent, fields)",
                tracker="jira",
            )
        return None

    def explain_bulk(self, failures: Mapping[int, Mapping[str, Any]], names: Sequence[str]) -> ConnectorError:
        first_index = min(failures)
        element = failures[first_index].get("elementErrors") or {}
        errors = {str(k): str(v) for k, v in (element.get("errors") or {}).items()}
        messages = [str(m) for m in element.get("errorMessages") or []]
        explained = self.explain_fields(errors, messages, "create issues")
        detail = str(explained) if explained else "; ".join(messages) or "no details given"
        prefix = f"{len(failures)} of {len(names)} issues not created (first: "
        cls = type(explained) if explained else Conflict
        # The element errors are Jira's words, which may echo the request.
        return scrub_error(cls(f"{prefix}{names[first_index]}): {detail}", tracker="jira"), self.transport.secrets)
