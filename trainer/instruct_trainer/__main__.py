"""python -m instruct_trainer CONFIG.json"""

import sys
import traceback

from .protocol import ConfigError, emit, log


def main(argv):
    if len(argv) != 1:
        emit("error", kind="config", message="usage: python -m instruct_trainer CONFIG.json")
        return 2
    try:
        from .train import run

        run(argv[0])
        return 0
    except ConfigError as e:
        emit("error", kind="config", message=str(e))
        return 1
    except KeyboardInterrupt:
        emit("error", kind="interrupted", message="interrupted")
        return 130
    except Exception as e:  # noqa: BLE001 - every failure must reach the CLI as one clear event
        log(traceback.format_exc())
        emit("error", kind="runtime", message=f"{type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
