"""Satchel's benchmarks (`make bench`): figures beside same-run baselines, never asserted in tests."""
