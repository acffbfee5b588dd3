"""The bundle's entry point: the same as the `satchel` command (app/cli)."""

import sys

from app.cli import main

sys.exit(main())
