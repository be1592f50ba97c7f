"""remediate: make postmortem action items actually get done.

The library API is small on purpose: parse a postmortem, sync its items to a
tracker, and report on what is still open. The CLI (``remediate``) is a thin
layer over these functions.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
