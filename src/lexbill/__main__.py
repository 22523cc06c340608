"""``python -m lexbill`` runs the ``lexbill`` command."""

from lexbill.cli import main

main()
