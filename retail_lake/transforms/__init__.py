"""Pure DataFrame transforms: DataFrames in, DataFrames out; no I/O, no AWS."""
