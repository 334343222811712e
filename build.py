"""`python build.py` does exactly what `pmkg build` does."""

import sys

from pmkg.cli import app, main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "build", *sys.argv[1:]]
    main()

__all__ = ["app"]
