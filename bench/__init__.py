"""Speed measurements, run by `make bench`: figures are ratios against a baseline of the same run."""
