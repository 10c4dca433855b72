"""JSON-lines events on stdout: one object per line, always with an "event" field.

Events (in order): "start", then any of "unfit", "step", "order", "eval", "generate", "checkpoint",
and finally "done"; or "error" (then the process exits with status 1). Human-readable logs go to
stderr, which the launcher stores in RUN_DIR/trainer.log.
"""

import json
import math
import sys


class ConfigError(Exception):
    """A bad configuration: reported as an "error" event of kind "config"."""


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
