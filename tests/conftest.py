"""Shared pytest setup: make tests/pylib importable for every tier."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "pylib"))


import signal  # noqa: E402

import pytest  # noqa: E402


def exits_within(pid, seconds):
    """True if process pid (not necessarily a child) ends within seconds: one
    that was told to quit just before the test ended may still be exiting."""
    import select
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return True
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


@pytest.fixture(autouse=True)
def no_process_outlives_its_test(request):
    """A QEMU or fakeqemu that a test started in its own directories must be
    gone when the test ends (a daemonized or --keep one included): one left
    behind is killed, and the test errors naming it."""
    import qdtest
    first = len(qdtest.SHORT_TMPDIRS)
    yield
    paths = qdtest.SHORT_TMPDIRS[first:]
    tmp = request.node.funcargs.get("tmp_path")
    if tmp is not None:
        paths.append(str(tmp))
    left = [(pid, argv) for pid, argv in qdtest.processes_using(paths)
            if not exits_within(pid, 5.0)]
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if left:
        pytest.fail("processes outlived the test (killed now):\n"
                    + "\n".join(f"  {pid}: {argv[:300]}" for pid, argv in left), pytrace=False)
