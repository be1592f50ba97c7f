"""Hostile postmortem shapes, each built at a requested size (in characters).

Shared by tests/test_parse_adversarial.py and benchmarks/parse_adversarial.py.
"""

from __future__ import annotations

from collections.abc import Callable


def repeat(unit: str, size: int) -> str:
    """``unit`` repeated to about ``size`` characters."""
    return unit * max(1, size // len(unit))


def _staircase(size: int, line: Callable[[int], str]) -> str:
    """Lines ``line(0)``, ``line(1)``, ... (each deeper than the last) up to ``size`` characters."""
    parts: list[str] = []
    total = depth = 0
    while total < size:
        text = line(depth % 400)  # nesting deeper than a few hundred levels is repeated from the top
        parts.append(text)
        total += len(text)
        depth += 1
    return "".join(parts)


def _table_rows(size: int) -> str:
    return "| Action Item | Owner | Bug |\n|---|---|---|\n" + repeat("| Add alerting on disk | bob | OPS-1 |\n", size)


def _long_table_row(size: int) -> str:
    return "| Action Item | Owner |\n|---|---|\n| Add alerting " + repeat("| a ", size) + "|\n"


SHAPES: dict[str, Callable[[int], str]] = {
    # inline Markdown that never closes
    "unclosed_emphasis": lambda n: repeat("*a _b `c ", n),
    "unclosed_emphasis_item": lambda n: "## Action items\n\n- " + repeat("*a _b `c ", n) + "\n",
    "dash_line": lambda n: repeat("- ", n) + "x\n",
    "dash_line_item": lambda n: "## Action items\n\n" + repeat("- ", n) + "x\n",
    "link_open": lambda n: repeat("[a](", n),
    "link_open_item": lambda n: "## Action items\n\n- Fix " + repeat("[a](", n) + "\n",
    "brackets_item": lambda n: "## Action items\n\n- Fix " + repeat("[a]", n) + "\n",
    "parens_item": lambda n: "## Action items\n\n- Fix " + repeat("(a ", n) + "\n",
    "underscores": lambda n: "## Action items\n\n- " + "_" * n + "\n",
    "stars": lambda n: "## Action items\n\n- " + "*" * n + "\n",
    "stars_words": lambda n: "## Action items\n\n- " + repeat("**a ", n) + "\n",
    "underscore_words": lambda n: "## Action items\n\n- " + repeat("_a_ b", n) + "\n",
    # headings
    "headings": lambda n: repeat("# h\n", n),
    "action_headings": lambda n: repeat("## Action items\n- Add an alert\n", n),
    "long_heading": lambda n: "# " + repeat("word ", n) + "\n",
    "long_heading_lines": lambda n: repeat("## " + "Action item word " * 60 + "\n", n),
    "long_hashes": lambda n: "#" * n + "\n",
    # long lines
    "long_line": lambda n: repeat("word ", n) + "\n",
    "long_word": lambda n: "a" * n + "\n",
    "long_line_item": lambda n: "## Action items\n\n- " + repeat("Add an alert ", n) + "\n",
    "long_prose": lambda n: "## Action items\n\n" + repeat("We will add an alert. ", n) + "\n",
    "long_sentence_prose": lambda n: "## Action items\n\n" + repeat("we will add an alert ", n) + "\n",
    "long_colon_line": lambda n: "## Action items\n\n" + repeat("Owner words here: ", n) + "\n",
    "spaces_line": lambda n: "## Action items\n\n- a" + " " * n + "b\n",
    # nesting
    "quote_line": lambda n: repeat("> ", n) + "x\n",
    "quote_lines": lambda n: _staircase(n, lambda d: "> " * (d % 40 + 1) + "quoted text\n"),
    "nested_list": lambda n: "## Action items\n\n" + _staircase(n, lambda d: "  " * d + "- Add an alert\n"),
    "nested_list_labels": lambda n: "## Action items\n\n" + _staircase(n, lambda d: "  " * d + "- Monitoring:\n"),
    "list_items": lambda n: "## Action items\n\n" + repeat("- Add an alert for disk usage\n", n),
    "checkbox_items": lambda n: "## Action items\n\n" + repeat("- [ ] Add an alert (owner: @bob, due 2024-01-02)\n", n),
    "lazy_lines": lambda n: "## Action items\n\n- Tasks:\n" + repeat("add an alert\n", n),
    # tables
    "table_rows": _table_rows,
    "table_pipes": _long_table_row,
    "pipes_line": lambda n: "|" * n + "\n",
    "table_cell_dashes": lambda n: "| Action Item | Bug |\n|---|---|\n| Fix the alert | " + repeat("-1", n) + " |\n",
    "table_separator_spaces": lambda n: "| Action Item |\n|" + " " * n + "-|\n",
    "pipe_separator": lambda n: "| a |\n|" + repeat("-|", n) + "\n",
    # HTML
    "html_soup": lambda n: repeat("<li><ul>", n) + "\n",
    "html_soup_lines": lambda n: repeat("<li><ul>x\n", n),
    "html_heading_soup": lambda n: "<h2>" + repeat("<h2>a", n) + "\n",
    "html_comment_open": lambda n: repeat("<!-- a\n", n),
    "html_item_spaces": lambda n: "<li>Add" + " " * n + "x\n",
    "indented_label": lambda n: "## Action items\n\n" + " " * n + "action x\n",
    # pseudo-headings
    "colon_lines": lambda n: repeat("Corrective measures going forward:\n", n),
    "bold_lines": lambda n: repeat("**bold**\n", n),
    "bold_line_long": lambda n: "**" + repeat("a ", n) + "**\n",
    "setext_lines": lambda n: repeat("Action items\n---\n", n),
    "caps_lines": lambda n: repeat("NEXT STEPS\n", n),
    # metadata-shaped text
    "dates_line": lambda n: "## Action items\n\n- Fix " + repeat("by January 1 ", n) + "\n",
    "owner_line": lambda n: "## Action items\n\n- Fix " + repeat("owner: a, ", n) + "\n",
    "handles_line": lambda n: "## Action items\n\n- Fix " + repeat("@a ", n) + "\n",
    "refs_line": lambda n: "## Action items\n\n- Fix " + repeat("(OPS-1) ", n) + "\n",
    "urls_line": lambda n: "## Action items\n\n- Fix " + repeat("https://a/b ", n) + "\n",
    "shortcodes_line": lambda n: "## Action items\n\n- Fix " + repeat(":ab: ", n) + "x\n",
    "front_matter_open": lambda n: "---\n" + repeat("key: value\n", n),
    # line endings
    "crlf_items": lambda n: "## Action items\r\n\r\n" + repeat("- Add an alert for disk usage\r\n", n),
    "crlf_headings": lambda n: repeat("# h\r\n", n),
    "cr_only": lambda n: "## Action items\r" + repeat("- Add an alert\r", n),
}
