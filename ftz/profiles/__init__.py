"""Risk profiles (contract section 8): customs' standing instructions, their versions and selectivity."""
