"""``remediate init``: write a commented ``remediate.toml`` from a few answers.

The file is generated from the settings models themselves (each field's description and default),
so it always lists every setting this version knows, including those of the chosen tracker's
connector: answered values are written as settings, everything else as a commented default.
The text is validated through the real loader before anything is written.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from remediate.errors import ConfigError

HEADER = """\
# remediate.toml, written by `remediate init` on {day}.
# Lines starting with "# key = " show a default; uncomment one to change it.
# Secrets (tokens, passwords, webhook URLs) never go in this file: they come from
# environment variables (`remediate doctor` says which ones are set).
"""


def toml_value(value: Any) -> str:
    """A TOML literal for a str, bool, number, date, or list of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML ones
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else json.dumps(key)


def _default(info: FieldInfo) -> Any:
    return info.get_default(call_default_factory=True)


def _comment(text: str | None) -> list[str]:
    if not text:
        return []
    words, lines, line = text.split(), [], "#"
    for word in words:
        if len(line) + len(word) + 1 > 96:
            lines.append(line)
            line = "#"
        line += " " + word
    return lines + [line]


def render_table(model: type[BaseModel], answers: Mapping[str, Any], table: str) -> list[str]:
    """The lines of one table (and its sub-tables) with ``answers`` (dotted keys) filled in."""
    scalars: list[str] = []
    tables: list[str] = []
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        path = f"{table}.{name}" if table else name
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            tables += ["", f"[{path}]", *_comment(annotation.__doc__)]
            trigger = getattr(annotation, "default_trigger", None)
            if trigger:
                tables.append(f"# (when neither every nor cron is set: {trigger[0]} = {toml_value(trigger[1])})")
            tables += render_table(annotation, answers, path)
            continue
        if path == "connectors":
            continue  # written by render_config for the chosen tracker
        lines = _comment(info.description)
        if path in answers:
            value = answers[path]
            if isinstance(value, Mapping) and value:
                tables += ["", f"[{path}]", *lines]
                tables += [f"{_key(k)} = {toml_value(v)}" for k, v in value.items()]
                continue
            lines.append(f"{name} = {toml_value(value)}")
        elif info.is_required():
            lines.append(f"# {name} is required: set it here")
        else:
            default = _default(info)
            lines.append(
                f"# {name} = {toml_value(default)}" if default is not None else f"# {name} is unset by default"
            )
        scalars += lines
    return scalars + tables


def render_config(answers: Mapping[str, Any], *, today: date | None = None) -> str:
    """The whole commented config file for ``answers`` (dotted keys, e.g. ``schedule.refresh.every``)."""
    from remediate.settings import Settings

    tracker = str(answers.get("tracker", "local"))
    lines = [HEADER.format(day=(today or date.today()).isoformat()).rstrip("\n")]
    lines += render_table(Settings, answers, "")
    connector_answers = {k: v for k, v in answers.items() if k.startswith(f"connectors.{tracker}.")}
    model = _connector_model(tracker)
    lines += ["", f"[connectors.{tracker}]", f"# Settings of the {tracker} connector."]
    if model is not None:
        lines += render_table(model, connector_answers, f"connectors.{tracker}")
    else:
        lines += [
            f"{k.rsplit('.', 1)[1]} = {toml_value(v)}"
            for k, v in connector_answers.items()
            if not isinstance(v, Mapping)
        ]
    return "\n".join(lines) + "\n"


def _connector_model(tracker: str) -> type[BaseModel] | None:
    from remediate.connectors import load_class

    try:
        return load_class(tracker).Config
    except ConfigError:
        return None


@dataclass(frozen=True)
class Question:
    """One thing ``init`` asks about the tracker: a field of its Config model."""

    key: str  # the field's name in [connectors.<tracker>]
    prompt: str
    default: str | None  # shown and taken on an empty answer; None: an answer is needed
    kind: str  # "text", "list" (comma-separated) or "map" (NAME=VALUE, comma-separated)

    def read(self, answer: str) -> Any:
        """The answer as the field takes it: text (read by ``settings.overrides``), a list or a map."""
        parts = [part.strip() for part in answer.split(",") if part.strip()]
        if self.kind == "list":
            return parts
        if self.kind == "map":
            pairs = [part.partition("=") for part in parts]
            bad = [name for name, sep, value in pairs if not sep or not name.strip() or not value.strip()]
            if bad:
                raise ConfigError(f"{self.key}: expected NAME=VALUE, got {bad[0]!r}")
            return {name.strip(): value.strip() for name, _, value in pairs}
        return answer.strip()


def questions(model: type[BaseModel] | None) -> list[Question]:
    """What ``init`` asks for a tracker: its Config's required fields and the fields marked as
    questions (``json_schema_extra={"question": "Prompt"}``, or ``True`` to ask with the field's
    description), in the model's order. The core names no tracker's settings.
    """
    from typing import get_origin

    asked: list[Question] = []
    for name, info in (model.model_fields if model is not None else {}).items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        marked = extra.get("question")
        if not (info.is_required() or marked):
            continue
        origin = get_origin(info.annotation) or info.annotation
        kind = "list" if origin in (list, tuple, set) else "map" if origin is dict else "text"
        prompt = marked if isinstance(marked, str) else (info.description or name).rstrip(".")
        default: str | None = None
        if not info.is_required():
            value = _default(info)
            if kind == "list":
                default = ", ".join(str(v) for v in value or [])
            elif kind == "map":
                default = ", ".join(f"{k}={v}" for k, v in (value or {}).items())
            else:
                default = "" if value is None else str(value)
        if kind == "list":
            prompt += ", comma-separated"
        elif kind == "map":
            prompt += ", NAME=VALUE comma-separated (empty: none)"
        asked.append(Question(name, prompt, default, kind))
    return asked


def connector_answers(
    tracker: str, options: Mapping[str, Any], *, labels: list[str], owners: Mapping[str, str]
) -> dict[str, Any]:
    """The tracker's table as ``init`` writes it (dotted keys under ``connectors.<tracker>.``).

    ``options`` are ``--set`` pairs and answers (dotted keys), checked against the tracker's own
    Config like any ``--set``; ``--label`` and ``--owner`` go to its ``labels`` (or ``label``)
    and ``owners`` fields.
    """
    from remediate.settings import overrides

    model = _connector_model(tracker)
    fields = model.model_fields if model is not None else {}
    given = dict(options)
    if labels:
        if model is not None and not {"label", "labels"} & set(fields):
            raise ConfigError(f"--label: the {tracker} connector has no label setting")
        if "label" in fields and "labels" not in fields:
            given["label"] = labels[0]
        else:
            given["labels"] = labels
    if owners:
        if model is not None and "owners" not in fields:
            raise ConfigError(f"--owner: the {tracker} connector has no setting 'owners'")
        given["owners"] = dict(owners)
    if model is None:
        return {f"connectors.{tracker}.{k}": v for k, v in given.items() if v is not None}
    return _dotted(model, overrides(model, given, owner=f"the {tracker} connector"), f"connectors.{tracker}")


def _dotted(model: type[BaseModel], table: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """A nested table as dotted keys, down to the model's sub-tables (a mapping field stays one value)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        annotation = model.model_fields[key].annotation
        if isinstance(value, Mapping) and isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out.update(_dotted(annotation, value, f"{prefix}.{key}"))
        else:
            out[f"{prefix}.{key}"] = value
    return out


def check_config_text(text: str, path: Path) -> None:
    """Validate generated text through the real loader (settings and the tracker's table)."""
    from remediate.connectors import configure
    from remediate.settings import Settings, validate

    data = tomllib.loads(text)
    settings = validate(Settings, data, path, source=path)
    configure(settings.tracker, settings.connectors.get(settings.tracker, {}), {}, config_path=path)


def write_config(path: Path, text: str, *, force: bool) -> None:
    """Write the file; an existing one is only replaced with ``force``."""
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; use --force to overwrite it")
    if path.is_dir():
        raise ConfigError(f"{path} is a directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # never a half-written config
