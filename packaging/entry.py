"""The bundle's program: the `practice` command, which opens the window when
given no command (the same entry point pip installs)."""

import sys

from app.launch import main

if __name__ == "__main__":
    sys.exit(main())
