"""The benchmark harness: generator, k6 script, runner (see docs/performance.md)."""
