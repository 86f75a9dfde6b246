"""``python -m app``: the ``samskab`` command, for running it where the script is not on PATH."""

from app.cli import main

main()
