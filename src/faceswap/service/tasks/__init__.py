"""Tasks: the unified task format, its state machine, and task records kept on the SAQ jobs."""
