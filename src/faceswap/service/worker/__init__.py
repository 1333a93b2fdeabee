"""Task workers: the SAQ function that runs a task, the processor context, and the worker process."""
