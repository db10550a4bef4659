"""Many domains: the local asyncio runner (and, later, the task that runs a chunk on a worker).

A chunk on a remote worker and a local batch go through the same :func:`scan_many`.
"""

from .runner import BatchTally, read_domains, scan_many, unscannable

__all__ = ["BatchTally", "read_domains", "scan_many", "unscannable"]
