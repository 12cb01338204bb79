"""Synthetic probes: running checks, judging their results and turning them into monitor states."""
