"""Public test kit for adapter authors: contract suites proving an adapter honours its port, and samples."""
