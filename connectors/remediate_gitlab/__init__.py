"""remediate's GitLab connector: action items as GitLab issues (gitlab.com and self-managed).

Registered as ``gitlab`` in the ``remediate.connectors`` entry-point group. Configuration is
the ``[connectors.gitlab]`` table (see :class:`remediate_gitlab.config.Config`); the token
comes from ``GITLAB_TOKEN`` and the instance from ``GITLAB_URL`` (default https://gitlab.com).
"""

from remediate_gitlab.connector import GitLabConnector

__all__ = ["GitLabConnector"]
