"""remediate's Jira connector (Jira Cloud and Data Center), registered as ``jira``."""

from remediate_jira.config import Config
from remediate_jira.connector import JiraConnector

__all__ = ["Config", "JiraConnector"]
