"""python -m instruct_trainer CONFIG.json"""

import sys

from .protocol import main_with_events


def _load_run():
    # Imported here so a missing dependency (torch) is reported as an "error" event too.
    from .train import run

    return run


def main(argv):
    return main_with_events(argv, "python -m instruct_trainer CONFIG.json", _load_run)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
