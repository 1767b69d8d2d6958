"""PyInstaller entry point of the command line: ``trove``."""

import sys

from engine.cli import main

sys.exit(main())
