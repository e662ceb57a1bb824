"""`make run` that stops at a named point and waits there to be killed: the killed runs of
tests/test_publication.py. `python -m tests.paused_run <point>`, from the project folder.

It patches the functions of the point, then runs `dagster_project.run.main()`. The daily job
runs its steps in this process (the in-process executor, dagster_project/definitions.py), so the
patches reach them. At the point it writes `<build dir>/paused-at-<point>` (its PID inside) and
sleeps until killed. The points:

* `load`: an ingest step holds the working file open for writing, one table of this run already
  committed (the second write connection of the run);
* `dbt`: dbt is building the working file, some models done (after the third model's result);
* `publish`: the new published file is written and synced, not yet renamed over the old one.
"""

import functools
import os
import sys
import time

import dagster as dg
from dagster_dbt import DbtCliInvocation

from dagster_project import paths
from dagster_project.lib import publish, warehouse

POINTS = ("load", "dbt", "publish")


def pause(point: str) -> None:
    marker = paths.build_dir() / f"paused-at-{point}"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(str(os.getpid()))
    while True:  # until the test kills the process group
        time.sleep(60)


def pause_at(point: str) -> None:
    """Patch the function where `point` is, so that the run pauses there."""
    if point == "load":
        connect = warehouse.connect_for_write
        connections = []

        @functools.wraps(connect)
        def connect_then_pause(*args, **kwargs):
            con = connect(*args, **kwargs)
            connections.append(con)
            if len(connections) == 2:
                pause(point)
            return con

        warehouse.connect_for_write = connect_then_pause
    elif point == "dbt":
        stream = DbtCliInvocation.stream

        @functools.wraps(stream)
        def stream_then_pause(self, *args, **kwargs):
            models = 0
            for event in stream(self, *args, **kwargs):
                yield event
                models += isinstance(event, dg.Output)
                if models == 3:
                    pause(point)

        DbtCliInvocation.stream = stream_then_pause
    elif point == "publish":
        fsync = publish._fsync

        def fsync_then_pause(path):
            fsync(path)
            if path.name.startswith(publish.TEMPORARY_PREFIX):
                pause(point)

        publish._fsync = fsync_then_pause
    else:
        raise SystemExit(f"unknown pause point {point!r}: one of {', '.join(POINTS)}")


if __name__ == "__main__":
    pause_at(sys.argv[1])
    from dagster_project.run import main

    sys.stdout.flush()
    os._exit(main())  # as dagster_project.run does, without interpreter teardown
