"""The face-swap engine: analysis, selection, alignment, swap, paste back, enhancement."""
