"""instruct-arrange's PyTorch training backend.

Started by the TypeScript CLI (`instruct-arrange train`) as `python -m instruct_trainer CONFIG.json`; it
reads prepared JSON-lines examples, trains in exactly the given order and reports progress and
evaluation results as JSON lines on stdout (see protocol.py). Nothing here aggregates metrics: the
TypeScript side is the one source of truth for loss averages, ROUGE and exact match.
"""

PROTOCOL_VERSION = 1
