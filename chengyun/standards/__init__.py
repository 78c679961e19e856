"""Pure, Django-free implementations of national standards (GB 3838, HJ 212, CJJ 181, GB/T 30428) and coordinate systems."""
