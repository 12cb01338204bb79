"""vigil's benchmark suite: `python -m bench.run` (or `make bench`). See docs/benchmarks.md."""
