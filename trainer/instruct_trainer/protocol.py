"""JSON-lines events on stdout: one object per line, always with an "event" field.

Events (in order): "start", then any of "unfit", "step", "order", "eval", "generate", "checkpoint",
and finally "done"; or "error" (then the process exits with status 1). Human-readable logs go to
stderr, which the launcher stores in RUN_DIR/trainer.log.
"""

import json
import math
import sys
import traceback


class ConfigError(Exception):
    """A bad configuration: reported as an "error" event of kind "config"."""


class DamagedFileError(Exception):
    """A file that is there but cannot be loaded (a truncated checkpoint): an "error" event of kind "input"."""


def _clean(value):
    # JSON has no NaN/Infinity; such a value is reported as null so the reader can name it.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def emit(event, **fields):
    line = json.dumps({"event": event, **_clean(fields)}, ensure_ascii=False, allow_nan=False)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def log(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def main_with_events(argv, usage, load_run):
    """A `python -m` entry point: `load_run()` gives the run function, called with the one CONFIG.json
    argument; every failure becomes one "error" event. Returns the exit status."""
    if len(argv) != 1:
        emit("error", kind="config", message=f"usage: {usage}")
        return 2
    try:
        load_run()(argv[0])
        return 0
    except ConfigError as e:
        emit("error", kind="config", message=str(e))
        return 1
    except DamagedFileError as e:
        emit("error", kind="input", message=str(e))
        return 1
    except KeyboardInterrupt:
        emit("error", kind="interrupted", message="interrupted")
        return 130
    except Exception as e:  # noqa: BLE001 - every failure must reach the CLI as one clear event
        log(traceback.format_exc())
        emit("error", kind="runtime", message=f"{type(e).__name__}: {e}")
        return 1
