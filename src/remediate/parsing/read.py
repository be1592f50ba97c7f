"""Reading a postmortem from disk or stdin, with the bad-input rules in one place.

A missing path, a directory, a binary file, a file over the size limit and
text that is not UTF-8 (and does not decode with the cp1252 fallback) raise
InputError (exit 2). Text that only decodes with the fallback is returned with
a warning.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from remediate.errors import InputError

STDIN = "-"
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Document:
    """The decoded text of one postmortem and where it came from."""

    source: str
    text: str
    warnings: tuple[str, ...] = ()


def read_document(path: str | Path, *, max_bytes: int) -> Document:
    """Read ``path`` (or stdin for ``-``) as text, enforcing the bad-input rules."""
    source = str(path)
    if source == STDIN:
        data = sys.stdin.buffer.read(max_bytes + 1)
        source = "<stdin>"
    else:
        data = _read_file(Path(path), max_bytes)
    if len(data) > max_bytes:
        raise InputError(source, f"larger than the {max_bytes:,}-byte limit (parser.max_bytes)")
    return decode(source, data)


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        if path.is_dir():
            raise InputError(str(path), "is a directory, expected a postmortem file")
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(str(path), f"is {size:,} bytes, over the {max_bytes:,}-byte limit (parser.max_bytes)")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except PermissionError:
        raise InputError(str(path), "permission denied") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read ({exc.strerror or exc.__class__.__name__})") from None


def decode(source: str, data: bytes) -> Document:
    """Decode document bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Document(source, data.decode("utf-16"))
        except UnicodeDecodeError:
            raise InputError(source, "not valid UTF-16 text despite its byte-order mark") from None
    if b"\x00" in data[:_SNIFF_BYTES] or _looks_binary(data[:_SNIFF_BYTES]):
        raise InputError(source, "looks like a binary file, expected Markdown or plain text")
    try:
        return Document(source, data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        position = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise InputError(source, f"not UTF-8 text (invalid byte at offset {position}); convert it to UTF-8") from None
    warning = f"{source}: not valid UTF-8 (byte offset {position}); decoded as Windows-1252"
    return Document(source, text, (warning,))


def _looks_binary(sample: bytes) -> bool:
    # Control characters other than tab, newline, form feed and carriage return are rare in text.
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return bool(sample) and controls / len(sample) > 0.05
