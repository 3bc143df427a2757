"""Fixtures of the clients tier: the client programs, fakeqemu wrappers, real QEMUs."""
import os
import shutil

import pytest

import clients  # noqa: E402


@pytest.fixture(scope="session")
def work_dir():
    """A scratch directory under the build dir, emptied at each session start."""
    d = os.path.join(clients.build_dir(), "clients-work", "pytest")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


@pytest.fixture(scope="session")
def fakeqemu_built():
    if not os.access(clients.fakeqemu_binary(), os.X_OK):
        pytest.fail(f"{clients.fakeqemu_binary()} is missing: build first (ci/build.sh plain)")


@pytest.fixture(scope="session")
def govmm_client(work_dir):
    """The govmm driver, built offline at test time; skips when it cannot be."""
    why = clients.govmm_missing() or clients.netns_missing()
    if why:
        pytest.skip(why)
    return clients.build_govmm(os.path.join(work_dir, "govmm"))


_real = {}


def real_qemu_or_skip(version):
    if version not in _real:
        _real[version] = clients.real_qemu(version)
    path, why = _real[version]
    if path is None:
        pytest.skip(why)
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        pytest.skip("the recorded configurations use accel=kvm and /dev/kvm is not usable")
    return path
