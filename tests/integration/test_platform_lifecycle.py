"""The stack leaves nothing behind and fails legibly."""
