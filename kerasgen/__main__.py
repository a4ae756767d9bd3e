"""`python -m kerasgen ...`: the same as the `kerasgen` command."""

from kerasgen.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
