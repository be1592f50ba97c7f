"""Jinja2 templates for digests and the audit page: packaged defaults, overridable by users.

Lookup order (datasette's): the user's ``templates_dir`` first, then the packaged templates in
``remediate/templates``. A user template can extend the packaged one it replaces with the
``default:`` prefix, e.g. ``{% extends "default:digest.html.j2" %}``, and override one block.

Escaping depends on where the text goes: HTML templates (``*.html.j2``) autoescape; Slack
templates (``*.slack.j2``) escape ``&``, ``<`` and ``>`` in every ``{{ }}`` as Slack requires;
text and Markdown templates print text as it is.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from remediate.errors import ConfigError

TEMPLATE_PACKAGE = "remediate"


class SlackMarkup(str):
    """Slack mrkdwn built by a filter from escaped parts (a link): printed as it is."""


def slack_escape(value: Any) -> Any:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    if value is None:
        return ""
    if isinstance(value, SlackMarkup):
        return value
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def slack_ticket(item: Any) -> SlackMarkup:
    """An item's ticket as a Slack link ``<url|KEY>``, or its key (or "no ticket") as text."""
    key = getattr(item, "key", None) or "no ticket"
    url = getattr(item, "url", None) or ""
    label = slack_escape(key).replace("|", "¦")
    if url.startswith(("https://", "http://")) and not any(c in url for c in "|<> \n"):
        return SlackMarkup(f"<{url.replace('&', '&amp;')}|{label}>")
    return SlackMarkup(label)


def _autoescape(name: str | None) -> bool:
    return bool(name) and ".html" in name  # type: ignore[operator]


def environment(templates_dir: Path | None, *, slack: bool = False) -> Any:
    """A Jinja2 environment searching ``templates_dir`` then the packaged templates."""
    from jinja2 import (
        ChoiceLoader,
        Environment,
        FileSystemLoader,
        PackageLoader,
        PrefixLoader,
        StrictUndefined,
    )

    packaged = PackageLoader(TEMPLATE_PACKAGE, "templates")
    loaders: list[Any] = []
    if templates_dir is not None:
        if not templates_dir.is_dir():
            raise ConfigError(f"templates_dir {templates_dir} is not a directory")
        loaders.append(FileSystemLoader(str(templates_dir)))
    loaders += [PrefixLoader({"default": packaged}, delimiter=":"), packaged]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=_autoescape,
        undefined=StrictUndefined,  # a typo in a user's template fails loudly, not silently blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=slack_escape if slack else None,
    )
    env.filters["day"] = _day
    env.filters["clip"] = _clip
    env.filters["pct"] = _pct
    env.filters["slack_ticket"] = slack_ticket
    return env


def render(templates_dir: Path | None, name: str, **context: Any) -> str:
    """Render template ``name``; a broken user template is a ConfigError naming it."""
    from jinja2 import TemplateError

    env = environment(templates_dir, slack=".slack" in name)
    try:
        return str(env.get_template(name).render(**context))
    except TemplateError as exc:
        where = f" ({exc.filename}:{exc.lineno})" if getattr(exc, "lineno", None) else ""  # type: ignore[attr-defined]
        raise ConfigError(f"template {name}{where}: {exc.__class__.__name__}: {exc.message}") from None


def _day(value: date | None) -> str:
    return value.isoformat() if value else "-"


def _clip(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:g}%"
