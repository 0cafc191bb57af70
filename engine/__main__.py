"""``python -m engine`` runs the proofgate command line."""

from engine.cli import main

main()
