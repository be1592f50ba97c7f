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


def connector_answers(
    tracker: str, *, repo: str | None, project: str | None, labels: list[str], owners: Mapping[str, str]
) -> dict[str, Any]:
    """Map the init questions onto the tracker's own config keys (those its Config model has)."""
    model = _connector_model(tracker)
    fields = model.model_fields if model is not None else {}
    prefix = f"connectors.{tracker}."
    out: dict[str, Any] = {}
    for key, value in (("repo", repo), ("project", project)):
        if value:
            out[prefix + key] = value
    if labels:
        if "labels" in fields:
            out[prefix + "labels"] = labels
        elif "label" in fields:
            out[prefix + "label"] = labels[0]
    if owners:
        out[prefix + "owners"] = dict(owners)
    unknown = [k.removeprefix(prefix) for k in out if model is not None and k.removeprefix(prefix) not in fields]
    if unknown:
        raise ConfigError(f"the {tracker} connector has no setting {unknown[0]!r}")
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
