"""`python -m iac_exposure`: answers --version before importing anything, and replays a recorded run whose
inputs are unchanged before importing the command line (see replay.py)."""

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv == ["--version"]:
        from . import __version__

        print(f"iac-exposure {__version__}")
        return
    from . import replay

    def run() -> None:
        from .cli import main as cli_main

        cli_main()

    replay.main(argv, run)


if __name__ == "__main__":
    main()
