"""Speed and scale measurements of the engine, run with ``python -m benchmarks``; not tests."""
