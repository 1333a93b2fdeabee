"""Task processors, one per workflow; imported lazily by workers only (they load the engines)."""
