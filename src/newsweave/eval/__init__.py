"""Evaluation metrics shared by tests and benchmarks."""
