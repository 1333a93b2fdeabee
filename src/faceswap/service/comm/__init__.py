"""Remote workers over HTTP, API side: worker tokens, task leases on SAQ jobs, the ``/api/comm`` messages."""
