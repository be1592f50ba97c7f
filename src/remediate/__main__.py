"""``python -m remediate`` runs the command-line interface."""

from remediate.cli import main

main()
