"""The ``ftz`` command line (contract section 5): every command exits 0, or non-zero with a one-line reason."""
