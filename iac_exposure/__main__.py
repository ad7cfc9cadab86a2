"""`python -m iac_exposure`: answers --version before importing anything."""

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from . import __version__

        print(f"iac-exposure {__version__}")
        return
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
