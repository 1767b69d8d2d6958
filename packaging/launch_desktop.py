"""PyInstaller entry point of the window: ``trove-desktop``."""

import sys

from desktop.app import main

sys.exit(main())
