"""`python build.py [OPTIONS]` does exactly what `pmkg build [OPTIONS]` does, exit code included."""

import sys

from pmkg.cli import run

if __name__ == "__main__":
    sys.exit(run(["build", *sys.argv[1:]]))
