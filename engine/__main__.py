"""``python -m engine`` runs the proofgate command line."""

from .cli import main

main()
