"""The REST resources of the fake Jira (a mixin of :class:`tests.fakes.jira.FakeJira`).

Each handler takes (version, query, body, *path groups) and returns (status, headers, body).
Shapes follow the OpenAPI extract's examples and the recorded Server bodies in replay/jira.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tests.fakes import jql

if TYPE_CHECKING:
    from tests.fakes.jira import FakeJira as _Base
else:
    _Base = object

GONE_410 = {
    "errorMessages": [
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
        "A full migration guideline is available at "
        "https://developer.atlassian.com/changelog/#CHANGE-2046"
    ],
    "errors": {},
}
#: Jira Cloud and Data Center refuse text fields (description) longer than this.
TEXT_FIELD_MAX = 32767
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
RESOLUTIONS = ("Done", "Won't Do", "Duplicate", "Cannot Reproduce")
SYSTEM_FIELDS = frozenset(
    {
        "project",
        "issuetype",
        "summary",
        "description",
        "labels",
        "duedate",
        "priority",
        "assignee",
        "components",
        "parent",
        "reporter",
        "environment",
        "resolution",
    }
)


CATEGORIES = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}
DEFAULT_WORKFLOW = (("To Do", "new"), ("In Progress", "indeterminate"), ("Done", "done"))


@dataclass
class Project:
    """A project with its issue types, components, workflow and required fields."""

    key: str
    id: str
    issue_types: dict[str, str] = field(
        default_factory=lambda: {"Task": "10001", "Bug": "10004", "Epic": "10000", "Sub-task": "10003"}
    )
    components: tuple[str, ...] = ("SRE", "Payments")
    workflow: tuple[tuple[str, str], ...] = DEFAULT_WORKFLOW
    required: dict[str, dict[str, str]] = field(default_factory=dict)  # type -> {field id: name}
    counter: int = 0


def jira_time(when: datetime) -> str:
    """Jira's timestamp format: 2024-05-01T10:00:00.000+0000."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


class JiraRoutes(_Base):
    """Route handlers over the fake's state."""

    # --- routes: meta ------------------------------------------------------------------------------

    def _server_info(self, version: str, query: Any, body: Any) -> Any:
        now = jira_time(self.clock())
        if self.mode == "cloud":
            info = {
                "baseUrl": self.base,
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "buildNumber": 100287,
                "buildDate": "2025-11-20T00:00:00.000+0000",
                "serverTime": now,
                "scmInfo": "57a0ca5b4a0bb0ac5f3fee4764acb1c14e4d7e71",
                "serverTitle": "Jira",
            }
        else:
            info = {
                "baseUrl": self.base,
                "version": "9.12.2",
                "versionNumbers": [9, 12, 2],
                "deploymentType": "Server",
                "buildNumber": 9120002,
                "buildDate": "2023-12-05T00:00:00.000+0000",
                "serverTime": now,
                "scmInfo": "6a3f7fd2d1b0e48b4a2a3a5a1c1c0e4d5e6f7a8b",
                "serverTitle": "Jira",
            }
        return 200, {}, info

    def _fields(self, version: str, query: Any, body: Any) -> Any:
        system = [
            {
                "id": name,
                "key": name,
                "name": name.capitalize(),
                "custom": False,
                "navigable": True,
                "searchable": True,
                "clauseNames": [name],
            }
            for name in sorted(SYSTEM_FIELDS | {"status", "updated", "created"})
        ]
        custom = [
            {
                "id": fid,
                "key": fid,
                "name": name,
                "custom": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [fid, f"cf[{fid.split('_')[1]}]", name],
            }
            for fid, name in self.custom_fields.items()
        ]
        return 200, {}, system + custom

    def _myself(self, version: str, query: Any, body: Any) -> Any:
        user = {"accountId": "bot-account-id"} if self.mode == "cloud" else {"name": "sre-bot", "key": "sre-bot"}
        return 200, {}, {**user, "displayName": "SRE bot", "active": True}

    def _project(self, version: str, query: Any, body: Any, key: str) -> Any:
        project = self._find_project(key)
        if project is None:
            return 404, {}, {"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}}
        return (
            200,
            {},
            {
                "id": project.id,
                "key": project.key,
                "name": project.key,
                "self": f"{self.base}/rest/api/{version}/project/{project.id}",
            },
        )

    def _createmeta(self, version: str, query: Any, body: Any, key: str) -> Any:
        project = self._find_project(key)
        if project is None:
            return 404, {}, {"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}}
        types = [
            {
                "id": tid,
                "name": name,
                "subtask": name == "Sub-task",
                "hierarchyLevel": _level(name),
                "description": "",
                "iconUrl": f"{self.base}/images/icons/issuetypes/{name.lower()}.png",
                "self": f"{self.base}/rest/api/{version}/issuetype/{tid}",
            }
            for name, tid in project.issue_types.items()
        ]
        page = {"maxResults": 200, "startAt": 0, "total": len(types)}
        # Cloud names the list "issueTypes"; Data Center's paged answer calls it "values".
        return 200, {}, {**page, ("issueTypes" if self.mode == "cloud" else "values"): types, "isLast": True}

    def _find_project(self, key_or_id: str) -> Project | None:
        for project in self.projects.values():
            if key_or_id.upper() == project.key or key_or_id == project.id:
                return project
        return None

    # --- routes: create ------------------------------------------------------------------------------

    def _status(self, name: str, category: str) -> dict[str, Any]:
        return {
            "name": name,
            "id": str(abs(hash(name)) % 10000 + 1),
            "self": f"{self.base}/rest/api/2/status/{name}",
            "statusCategory": dict(CATEGORIES[category]),
        }

    def _check_fields(
        self,
        fields: Any,
        version: str,
        *,
        creating: bool,
        project: Project | None = None,
        issue_type: str | None = None,
    ) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not isinstance(fields, dict):
            return {"fields": "fields must be an object"}
        if creating:
            project = None
            ref = fields.get("project") or {}
            if not ref:
                errors["project"] = "Specify a valid project ID or key"
            else:
                project = self._find_project(str(ref.get("key") or ref.get("id") or ""))
                if project is None:
                    errors["project"] = "valid project is required"
            itype = fields.get("issuetype") or {}
            if project is not None:
                by_id = {tid: name for name, tid in project.issue_types.items()}
                issue_type = by_id.get(str(itype.get("id"))) or (
                    itype.get("name") if itype.get("name") in project.issue_types else None
                )
                if issue_type is None:
                    errors["issuetype"] = "The issue type selected is invalid."
            if not fields.get("summary"):
                errors["summary"] = "You must specify a summary of the issue."
        for name in fields:
            if name not in SYSTEM_FIELDS and name not in self.custom_fields:
                errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        if isinstance(fields.get("summary"), str) and len(fields["summary"]) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        if "description" in fields and fields["description"] is not None:
            desc = fields["description"]
            if version == "3" and not (
                isinstance(desc, dict) and desc.get("type") == "doc" and desc.get("version") == 1 and _adf_ok(desc)
            ):
                errors["description"] = (
                    "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
                )
            if version != "3" and not isinstance(desc, str):
                errors["description"] = "Operation value must be a string"
            # Jira rejects text fields over 32,767 characters (for ADF, its text content).
            size = len(desc) if isinstance(desc, str) else len(json.dumps(desc))
            if size > TEXT_FIELD_MAX:
                errors["description"] = (
                    "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
                )
        for label in fields.get("labels") or []:
            if not isinstance(label, str) or not label or " " in label or len(label) > 255:
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."
        if fields.get("duedate") is not None:
            try:
                datetime.strptime(str(fields["duedate"]), "%Y-%m-%d")
            except ValueError:
                errors["duedate"] = f"Error parsing date string: {fields['duedate']}"
        if fields.get("priority") is not None:
            name = (fields["priority"] or {}).get("name")
            if name not in PRIORITIES:
                errors["priority"] = f"Priority name '{name}' is not valid"
        if fields.get("assignee") is not None:
            assignee = fields["assignee"]
            wanted = "accountId" if self.mode == "cloud" else "name"
            if wanted not in assignee:
                errors["assignee"] = f"Specify the user by {wanted}"
            elif assignee[wanted] not in self.users:
                errors["assignee"] = f"User '{assignee[wanted]}' cannot be assigned issues."
        if project is not None:
            for component in fields.get("components") or []:
                if component.get("name") not in project.components:
                    errors["components"] = f"Component name '{component.get('name')}' is not valid"
        if fields.get("parent") is not None:
            ref = fields["parent"]
            parent = self.issue(str(ref.get("key") or ref.get("id") or ""))
            if parent is None:
                errors["parent"] = "Could not find issue by id or key."
            elif issue_type is not None and self.mode == "datacenter" and issue_type != "Sub-task":
                # Data Center: only sub-tasks have a parent; epics hold issues through Epic Link.
                errors["parent"] = "Field 'parent' cannot be set. It is not on the appropriate screen, or unknown."
            elif issue_type is not None and _level(parent["fields"]["issuetype"]["name"]) != _level(issue_type) + 1:
                # Cloud: a parent is one level up the hierarchy (epic > standard > sub-task).
                errors["parent"] = "Given parent work item does not belong to appropriate hierarchy."
        if fields.get("customfield_10008") is not None:
            epic = self.issue(str(fields["customfield_10008"]))
            if epic is None or epic["fields"]["issuetype"]["name"] != "Epic":
                errors["customfield_10008"] = f"Could not find epic {fields['customfield_10008']}."
        if creating and project is not None and issue_type is not None:
            for fid, fname in project.required.get(issue_type, {}).items():
                if fields.get(fid) in (None, "", [], {}):
                    errors[fid] = f"{fname} is required."
        return errors

    def _new_issue(self, version: str, fields: dict[str, Any]) -> dict[str, Any]:
        project = self._find_project(str(fields["project"].get("key") or fields["project"].get("id")))
        assert project is not None
        by_id = {tid: name for name, tid in project.issue_types.items()}
        type_name = by_id.get(str(fields["issuetype"].get("id"))) or fields["issuetype"]["name"]
        project.counter += 1
        issue_id = str(next(self._ids))
        key = f"{project.key}-{project.counter}"
        now = self.clock()
        stored = {name: value for name, value in fields.items() if name not in ("project", "issuetype")}
        stored.setdefault("labels", [])
        issue = {
            "id": issue_id,
            "key": key,
            "project": project.key,
            "project_id": project.id,
            "_created": now,
            "fields": {
                **stored,
                "issuetype": {
                    "id": project.issue_types[type_name],
                    "name": type_name,
                    "subtask": type_name == "Sub-task",
                },
                "project": {"id": project.id, "key": project.key},
                "status": self._status(project.workflow[0][0], project.workflow[0][1]),
                "resolution": None,
                "created": jira_time(now),
            },
        }
        self._store_parent(issue)
        self.issues[issue_id] = issue
        self.keys[key] = issue_id
        self._touch(issue)
        return {"id": issue_id, "key": key, "self": f"{self.base}/rest/api/{version}/issue/{issue_id}"}

    def _store_parent(self, issue: dict[str, Any]) -> None:
        parent = issue["fields"].get("parent")
        if parent:
            found = self.issue(str(parent.get("key") or parent.get("id")))
            issue["fields"]["parent"] = {"id": found["id"], "key": found["key"]} if found else None

    def _bulk_create(self, version: str, query: Any, body: Any) -> Any:
        updates = (body or {}).get("issueUpdates")
        if not isinstance(updates, list) or not updates:
            return 400, {}, {"errorMessages": ["Issue list is empty."], "errors": {}}
        if len(updates) > 50:
            return (
                400,
                {},
                {
                    "errorMessages": [f"Cannot create more than 50 issues in one request (got {len(updates)})."],
                    "errors": {},
                },
            )
        if "create" in self.deny:
            return (
                403,
                {},
                {"errorMessages": ["You do not have permission to create issues in this project."], "errors": {}},
            )
        created, errors = [], []
        for index, update in enumerate(updates):
            problems = self._check_fields((update or {}).get("fields"), version, creating=True)
            if problems:
                errors.append(
                    {
                        "status": 400,
                        "failedElementNumber": index,
                        "elementErrors": {"errorMessages": [], "errors": problems},
                    }
                )
            else:
                created.append(self._new_issue(version, update["fields"]))
        return (201 if created else 400), {}, {"issues": created, "errors": errors}

    def _create_one(self, version: str, query: Any, body: Any) -> Any:
        if "create" in self.deny:
            return (
                403,
                {},
                {"errorMessages": ["You do not have permission to create issues in this project."], "errors": {}},
            )
        problems = self._check_fields((body or {}).get("fields"), version, creating=True)
        if problems:
            return 400, {}, {"errorMessages": [], "errors": problems}
        return 201, {}, self._new_issue(version, body["fields"])

    # --- routes: read and edit -----------------------------------------------------------------------

    def _render(self, issue: dict[str, Any], version: str, wanted: list[str] | None) -> dict[str, Any]:
        fields = issue["fields"]
        if wanted is not None and not ({"*all", "*navigable"} & set(wanted)):
            fields = {k: v for k, v in fields.items() if k in wanted}
        return {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue["id"],
            "key": issue["key"],
            "self": f"{self.base}/rest/api/{version}/issue/{issue['id']}",
            "fields": copy.deepcopy(fields),
        }

    @staticmethod
    def _wanted(values: list[str] | None, default: list[str] | None) -> list[str] | None:
        if not values:
            return default
        return [f.strip() for value in values for f in value.split(",") if f.strip()]

    def _not_found(self) -> Any:
        return (
            404,
            {},
            {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}},
        )

    def _get_issue(self, version: str, query: dict[str, list[str]], body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        out = self._render(issue, version, self._wanted(query.get("fields"), None))
        if "transitions" in ",".join(query.get("expand") or []):
            out["transitions"] = self._transition_list(issue)
        return 200, {}, out

    def _bulk_fetch(self, version: str, query: Any, body: Any) -> Any:
        if self.mode != "cloud":
            return 404, {}, None
        keys = (body or {}).get("issueIdsOrKeys") or []
        if not keys or len(keys) > 100:
            return 400, {}, {"errorMessages": ["Between 1 and 100 issue ids or keys are allowed."], "errors": {}}
        issues, errors = [], []
        for key in keys:
            issue = self.issue(str(key))
            if issue is None:
                errors.append(
                    {"id": str(key), "errorMessage": "Issue does not exist or you do not have permission to see it."}
                )
            else:
                issues.append(self._render(issue, version, (body or {}).get("fields")))
        return 200, {}, {"expand": "", "issues": issues, "issueErrors": errors}

    def _edit_issue(self, version: str, query: Any, body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        if "edit" in self.deny:
            return (
                403,
                {},
                {"errorMessages": ["You do not have permission to edit issues in this project."], "errors": {}},
            )
        fields = (body or {}).get("fields") or {}
        project = self.projects[issue["project"]]
        errors = self._check_fields(
            fields, version, creating=False, project=project, issue_type=issue["fields"]["issuetype"]["name"]
        )
        for name in ("project", "issuetype"):
            if name in fields:
                errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        if errors:
            return 400, {}, {"errorMessages": [], "errors": errors}
        issue["fields"].update(fields)
        self._store_parent(issue)
        self._touch(issue)
        return 204, {}, None

    # --- routes: workflow and links --------------------------------------------------------------------

    def _transition_list(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        project = self.projects[issue["project"]]
        current = issue["fields"]["status"]["name"]
        out = []
        for index, (name, category) in enumerate(project.workflow):
            if name == current:
                continue
            out.append(
                {
                    "id": str(11 + 10 * index),
                    "name": name,
                    "to": self._status(name, category),
                    "hasScreen": False,
                    "isGlobal": True,
                    "isInitial": False,
                    "isAvailable": True,
                    "isConditional": False,
                    "isLooped": False,
                }
            )
        return out

    def _transitions(self, version: str, query: Any, body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        return 200, {}, {"expand": "transitions", "transitions": self._transition_list(issue)}

    def _transition(self, version: str, query: Any, body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        wanted = str(((body or {}).get("transition") or {}).get("id", ""))  # int or string, like Jira
        chosen = next((t for t in self._transition_list(issue) if t["id"] == wanted), None)
        if chosen is None:
            return 400, {}, {"errorMessages": [f"Transition id '{wanted}' is not valid for this issue."], "errors": {}}
        resolution = (((body or {}).get("fields") or {}).get("resolution") or {}).get("name")
        if resolution is not None and resolution not in RESOLUTIONS:
            return 400, {}, {"errorMessages": [], "errors": {"resolution": f"Resolution '{resolution}' is not valid"}}
        self.set_status(issue["key"], chosen["name"], resolution)
        return 204, {}, None

    def _remote_links(self, version: str, query: Any, body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        return 200, {}, copy.deepcopy(self.remote_links.get(issue["id"], []))

    def _add_comment(self, version: str, query: Any, body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        text = (body or {}).get("body")
        # v2 takes wiki markup (a string), v3 an ADF document; each rejects the other's shape.
        wanted = dict if version == "3" else str
        if not text or not isinstance(text, wanted):
            return 400, {}, {"errorMessages": [], "errors": {"comment": "Comment body can not be empty!"}}
        self.comments.setdefault(issue["id"], []).append(copy.deepcopy(text))
        self._touch(issue)
        comment_id = str(sum(len(c) for c in self.comments.values()) + 10000)
        return (
            201,
            {},
            {
                "id": comment_id,
                "self": f"{self.base}/rest/api/{version}/issue/{issue['id']}/comment/{comment_id}",
                "body": text,
                "created": jira_time(self.clock()),
                "updated": jira_time(self.clock()),
            },
        )

    def _upsert_remote_link(self, version: str, query: Any, body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        if "link" in self.deny:
            return 403, {}, {"errorMessages": ["You do not have permission to link issues."], "errors": {}}
        obj = (body or {}).get("object") or {}
        for required in ("url", "title"):
            if not obj.get(required):
                return 400, {}, {"errorMessages": [], "errors": {required: f"'{required}' is required."}}
        links = self.remote_links.setdefault(issue["id"], [])
        global_id = (body or {}).get("globalId")
        existing = next((link for link in links if global_id and link.get("globalId") == global_id), None)
        # An upsert replaces the whole link: fields not sent become null (Jira's documented rule).
        record = {
            "globalId": global_id,
            "application": body.get("application"),
            "relationship": body.get("relationship"),
            "object": obj,
        }
        if existing is not None:
            existing.update(record)
            return 200, {}, {"id": existing["id"], "self": existing["self"]}
        link_id = next(self._link_ids)
        record.update(id=link_id, self=f"{self.base}/rest/api/{version}/issue/{issue['key']}/remotelink/{link_id}")
        links.append(record)
        return 201, {}, {"id": link_id, "self": record["self"]}

    # --- routes: search ---------------------------------------------------------------------------------

    def _run_jql(self, text: str, *, bounded: bool) -> list[dict[str, Any]]:
        query = jql.parse(text)
        if bounded and not query.clauses:
            raise jql.JQLError(
                "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
            )
        predicate = jql.matcher(
            query,
            now=self.clock(),
            project_exists=lambda p: self._find_project(p) is not None,
            key_exists=lambda k: self.issue(k) is not None,
        )
        hits = [issue for issue in self.index.values() if predicate(issue)]
        return sorted(hits, key=jql.sort_key(query.order))

    @staticmethod
    def _params(query: dict[str, list[str]], body: Any) -> dict[str, Any]:
        if isinstance(body, dict):
            out = dict(body)
            if isinstance(out.get("fields"), list):
                out["fields"] = [",".join(out["fields"])]
            elif out.get("fields") is not None:
                out["fields"] = [str(out["fields"])]
            return out
        return {k: (v if k == "fields" else v[-1]) for k, v in query.items()}

    def _search_jql(self, version: str, query: dict[str, list[str]], body: Any) -> Any:
        if self.mode != "cloud":
            return 404, {}, None  # Data Center never had the enhanced search
        params = self._params(query, body)
        try:
            hits = self._run_jql(str(params.get("jql") or ""), bounded=True)
        except jql.JQLError as exc:
            return 400, {}, {"errorMessages": [str(exc)], "errors": {}}
        wanted = self._wanted(params.get("fields"), ["id"])  # Cloud's default is id only
        only_ids = set(wanted or []) <= {"id", "key"}
        limit = min(int(params.get("maxResults") or 50), 5000 if only_ids else 100)
        offset = 0
        token = params.get("nextPageToken")
        if token:
            try:
                offset_text, _, digest = base64.urlsafe_b64decode(str(token).encode()).decode().partition(":")
                offset = int(offset_text)
                assert digest == str(abs(hash(params.get("jql"))))
            except (ValueError, AssertionError):
                return 400, {}, {"errorMessages": ["The provided next page token is invalid or expired."], "errors": {}}
        page = hits[offset : offset + limit]
        out: dict[str, Any] = {"issues": [self._render(i, version, wanted) for i in page]}
        if offset + limit < len(hits):
            raw = f"{offset + limit}:{abs(hash(params.get('jql')))}"
            out["nextPageToken"] = base64.urlsafe_b64encode(raw.encode()).decode()
            out["isLast"] = False
        else:
            out["isLast"] = True
        return 200, {}, out

    def _search_old(self, version: str, query: dict[str, list[str]], body: Any) -> Any:
        if self.mode == "cloud":
            return 410, {}, GONE_410
        params = self._params(query, body)
        try:
            hits = self._run_jql(str(params.get("jql") or ""), bounded=False)
        except jql.JQLError as exc:
            return 400, {}, {"errorMessages": [str(exc)], "errors": {}}
        start = int(params.get("startAt") or 0)
        limit = min(int(params.get("maxResults") or 50), 1000)
        wanted = self._wanted(params.get("fields"), ["*navigable"])
        page = hits[start : start + limit]
        return (
            200,
            {},
            {
                "expand": "names,schema",
                "startAt": start,
                "maxResults": limit,
                "total": len(hits),
                "issues": [self._render(i, version, wanted) for i in page],
            },
        )


def _level(issue_type: str) -> int:
    """An issue type's hierarchy level, as createmeta reports it: 1 epic, 0 standard, -1 sub-task."""
    return {"Epic": 1, "Sub-task": -1}.get(issue_type, 0)


def _adf_ok(node: Any) -> bool:
    """A light ADF check: text nodes carry non-empty text, containers carry lists of nodes."""
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return False
    if node["type"] == "text":
        return isinstance(node.get("text"), str) and node["text"] != ""
    content = node.get("content", [])
    return isinstance(content, list) and all(_adf_ok(child) for child in content)
