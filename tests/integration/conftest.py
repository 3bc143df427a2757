"""Fixtures shared by the integration tests."""
import pytest

from fakeqemu_client import FakeQemu


@pytest.fixture
def launch():
    """launch(args=(), env=None, **kw) -> FakeQemu, stopped after the test."""
    started = []

    def start(args=(), env=None, **kw):
        fq = FakeQemu(args=args, env=env, **kw)
        started.append(fq)
        return fq

    yield start
    for fq in started:
        fq.close()
