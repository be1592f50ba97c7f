"""remediate's GitHub connector: action items as GitHub issues (github.com and Enterprise Server).

Registered as ``github`` in the ``remediate.connectors`` entry-point group. Configuration is
the ``[connectors.github]`` table (see :class:`remediate_github.config.Config`); the token
comes from ``GITHUB_TOKEN`` and the API base from ``GITHUB_API_URL``.
"""

from remediate_github.connector import GitHubConnector

__all__ = ["GitHubConnector"]
