"""tests/ itself is on sys.path (pytest puts a rootless conftest's directory there), so every
test module can `from helpers import …` (tests/helpers.py: messages, contexts, DNS, examples)."""
