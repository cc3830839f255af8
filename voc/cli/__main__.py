"""``python -m voc.cli``: the ``voc`` command."""

from voc.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
