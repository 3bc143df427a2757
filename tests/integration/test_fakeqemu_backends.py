"""fakeqemu's backends as a client sees them from outside: descriptors passed over the
monitor socket (SCM_RIGHTS), chardev sockets that really listen, netdevs on passed fds.

The conformance scripts compare the replies with real QEMU; these tests check what
the replies cannot show: which descriptors fakeqemu really holds, closes and
reports, and which sockets exist on disk.
"""
import array
import os
import select
import socket
import subprocess
import sys
import time

import pytest

from fakeqemu_client import FAKEQEMU, QmpConnection

DEADLINE = 10.0


def send_with_fds(conn, command, arguments=None, fds=()):
    """Send one command with @fds attached (one sendmsg); return its id."""
    import json
    id = conn.next_id
    conn.next_id += 1
    req = {"execute": command, "id": id}
    if arguments is not None:
        req["arguments"] = arguments
    conn.sock.sendmsg([json.dumps(req).encode()],
                      [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    return id


def execute_with_fds(conn, command, arguments=None, fds=()):
    return conn.recv_reply(send_with_fds(conn, command, arguments, fds))


def eof_within(fd, timeout):
    """True once the read end @fd sees EOF (every write end closed), False on timeout."""
    r, _, _ = select.select([fd], [], [], timeout)
    return bool(r) and os.read(fd, 1) == b""


def held_by(pid, fd_of_ours):
    """The descriptor numbers of process @pid that refer to the same file as our @fd_of_ours."""
    st = os.fstat(fd_of_ours)
    out = []
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            s = os.stat(f"/proc/{pid}/fd/{name}")
        except FileNotFoundError:
            continue
        if (s.st_dev, s.st_ino) == (st.st_dev, st.st_ino):
            out.append(int(name))
    return out


@pytest.fixture
def vm(launch):
    fq = launch(paused=True, machine="none")
    return fq, fq.connect()


def test_getfd_holds_the_descriptor_and_closefd_closes_it(vm):
    fq, c = vm
    r, w = os.pipe()
    assert execute_with_fds(c, "getfd", {"fdname": "p"}, [w]) == {"return": {}, "id": 2}
    os.close(w)
    # fakeqemu holds the write end (a pipe's ends share one inode): no EOF yet.
    assert len(held_by(fq.proc.pid, r)) == 1
    assert not eof_within(r, 0.05)
    assert c.execute("closefd", {"fdname": "p"}) == {}
    assert eof_within(r, DEADLINE)
    os.close(r)


def test_getfd_with_the_same_name_replaces_and_closes_the_old_one(vm):
    fq, c = vm
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    execute_with_fds(c, "getfd", {"fdname": "p"}, [w1])
    execute_with_fds(c, "getfd", {"fdname": "p"}, [w2])
    os.close(w1)
    os.close(w2)
    assert eof_within(r1, DEADLINE)
    assert not eof_within(r2, 0.05)
    c.execute("closefd", {"fdname": "p"})
    assert eof_within(r2, DEADLINE)


def test_only_the_first_of_several_descriptors_is_taken(vm):
    fq, c = vm
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    execute_with_fds(c, "getfd", {"fdname": "p"}, [w1, w2])
    os.close(w1)
    os.close(w2)
    assert eof_within(r2, DEADLINE)  # the second one was closed
    assert not eof_within(r1, 0.05)


def test_a_descriptor_sent_with_another_command_waits_for_getfd(vm):
    fq, c = vm
    r, w = os.pipe()
    assert "return" in execute_with_fds(c, "query-status", None, [w])
    os.close(w)
    assert c.execute("getfd", {"fdname": "late"}) == {}
    assert not eof_within(r, 0.05)
    c.execute("closefd", {"fdname": "late"})
    assert eof_within(r, DEADLINE)


def test_a_descriptor_not_taken_goes_with_the_connection_but_named_ones_stay(vm):
    fq, c = vm
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    execute_with_fds(c, "getfd", {"fdname": "kept"}, [w1])
    execute_with_fds(c, "query-status", None, [w2])
    os.close(w1)
    os.close(w2)
    c.close()
    assert eof_within(r2, DEADLINE)  # the pending one was closed with the connection
    c2 = fq.connect()
    err = c2.command("getfd", {"fdname": "again"})
    assert err["error"]["desc"] == "No file descriptor supplied via SCM_RIGHTS"
    assert not eof_within(r1, 0.05)
    assert c2.execute("closefd", {"fdname": "kept"}) == {}  # named fds are the monitor's
    assert eof_within(r1, DEADLINE)


def test_add_fd_reports_the_descriptor_fakeqemu_holds(vm):
    fq, c = vm
    r, w = os.pipe()
    ret = execute_with_fds(c, "add-fd", {"fdset-id": 7, "opaque": "disk"}, [w])["return"]
    assert ret["fdset-id"] == 7
    assert held_by(fq.proc.pid, w) == [ret["fd"]]
    assert c.execute("query-fdsets") == [
        {"fds": [{"fd": ret["fd"], "opaque": "disk"}], "fdset-id": 7}]
    os.close(w)
    os.close(r)


@pytest.mark.parametrize("version,closed", [("7.2", False), ("10.0", True)])
def test_remove_fd_before_the_guest_ran(launch, version, closed):
    """Before 9.1 a removed member is only closed once the guest runs; from 9.1 at once."""
    fq = launch(paused=True, machine="none", args=["-fake-version", version])
    c = fq.connect()
    r, w = os.pipe()
    execute_with_fds(c, "add-fd", {"fdset-id": 1}, [w])
    os.close(w)
    c.execute("remove-fd", {"fdset-id": 1})
    assert eof_within(r, DEADLINE if closed else 0.05) == closed
    c.execute("cont")
    c.wait_event("RESUME")
    if not closed:
        # Still held: cleanup runs on remove-fd or a disconnect while running.
        assert not eof_within(r, 0.05)
        c.close()
        assert eof_within(r, DEADLINE)


def test_add_fd_on_the_command_line(tmp_path):
    r, w = os.pipe()
    path = str(tmp_path / "q.sock")
    p = subprocess.Popen([FAKEQEMU, "-machine", "none", "-nodefaults", "-display", "none", "-S",
                          "-add-fd", f"fd={w},set=4,opaque=cli",
                          "-qmp", f"unix:{path},server=on,wait=off"], pass_fds=[w],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(w)
    try:
        deadline = time.monotonic() + DEADLINE
        while not os.path.exists(path):
            assert p.poll() is None, p.stderr.read()
            assert time.monotonic() < deadline
            select.select([], [], [], 0.01)
        c = QmpConnection(path)
        c.read_greeting()
        c.negotiate()
        sets = c.execute("query-fdsets")
        assert [s["fdset-id"] for s in sets] == [4]
        assert sets[0]["fds"][0]["opaque"] == "cli"
        # fakeqemu keeps a duplicate of the pipe's write end (the original was closed).
        assert not eof_within(r, 0.05)
        c.execute("quit")
        p.wait(DEADLINE)
        assert eof_within(r, DEADLINE)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(r)


# ---- chardev sockets ----------------------------------------------------------------

def filenames(c):
    return {e["label"]: e["filename"] for e in c.execute("query-chardev")}


def test_a_server_chardev_listens_accepts_and_is_removed_at_exit(launch):
    """kata 1.x's console socket: -chardev socket,...,server,nowait must really exist."""
    fq0 = launch(paused=True, machine="none")
    path = os.path.join(fq0.dir, "console.sock")
    fq = launch(paused=True, machine="none",
                args=["-chardev", f"socket,id=charconsole0,path={path},server,nowait"])
    c = fq.connect()
    assert filenames(c)["charconsole0"] == f"disconnected:unix:{path},server=on"
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    deadline = time.monotonic() + DEADLINE
    while filenames(c)["charconsole0"].startswith("disconnected:"):
        assert time.monotonic() < deadline
    assert filenames(c)["charconsole0"] == f"unix:{path},server=on"
    s.close()
    while not filenames(c)["charconsole0"].startswith("disconnected:"):
        assert time.monotonic() < deadline
    # Back to listening: a second client gets in.
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.close()
    c.execute("quit")
    fq.wait()
    assert not os.path.exists(path)


def test_chardev_add_socket_server_is_connectable(vm):
    fq, c = vm
    path = os.path.join(fq.dir, "added.sock")
    c.execute("chardev-add", {"id": "a1", "backend": {"type": "socket", "data": {
        "addr": {"type": "unix", "data": {"path": path}}, "server": True, "wait": False}}})
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    c.execute("chardev-remove", {"id": "a1"})
    s.settimeout(DEADLINE)
    try:
        # The connection went with the chardev: EOF once accepted, a reset while
        # it still waited in the listening socket's backlog.
        assert s.recv(1) == b""
    except ConnectionResetError:
        pass
    s.close()
    assert not os.path.exists(path)


def test_wait_on_blocks_until_a_client_connects(tmp_path):
    path = str(tmp_path / "w.sock")
    qmp = str(tmp_path / "q.sock")
    p = subprocess.Popen([FAKEQEMU, "-machine", "none", "-nodefaults", "-display", "none", "-S",
                          "-chardev", f"socket,id=w,path={path},server=on",
                          "-qmp", f"unix:{qmp},server=on,wait=off"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + DEADLINE
        while not os.path.exists(path):
            assert time.monotonic() < deadline and p.poll() is None
            select.select([], [], [], 0.01)
        # The QMP socket is only created once the waiting chardev has its client.
        assert not os.path.exists(qmp)
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        while not os.path.exists(qmp):
            assert time.monotonic() < deadline and p.poll() is None
            select.select([], [], [], 0.01)
        # The socket file exists a moment before it listens (bind, then listen).
        while True:
            try:
                c = QmpConnection(qmp)
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline
                select.select([], [], [], 0.01)
        c.read_greeting()
        c.negotiate()
        assert filenames(c)["w"] == f"unix:{path},server=on"
        c.execute("quit")
        p.wait(DEADLINE)
        assert p.stderr.read() == (f"fakeqemu: -chardev socket,id=w,path={path},server=on: info: "
                                   f"QEMU waiting for connection on: disconnected:unix:{path},"
                                   "server=on\n")
        s.close()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


# ---- netdevs on passed descriptors --------------------------------------------------

def open_tap():
    """A new tap device's fd (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR), or skip without CAP_NET_ADMIN."""
    import fcntl
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, 0x400454ca, b"\0" * 16 + (0x0002 | 0x1000 | 0x4000).to_bytes(2, "little")
                    + b"\0" * 22)
    except OSError as e:
        pytest.skip(f"cannot create a tap device here: {e}")
    return fd


def test_netdev_tap_by_fd_keeps_the_tap(vm):
    fq, c = vm
    tap = open_tap()
    execute_with_fds(c, "getfd", {"fdname": "tap0"}, [tap])
    assert c.execute("netdev_add", {"type": "tap", "id": "net0", "fd": "tap0"}) == {}
    assert len(held_by(fq.proc.pid, tap)) == 1
    # The name was consumed by the netdev.
    assert c.command("closefd", {"fdname": "tap0"})["error"]["desc"] == \
        "File descriptor named 'tap0' not found"
    c.execute("netdev_del", {"id": "net0"})
    deadline = time.monotonic() + DEADLINE
    while held_by(fq.proc.pid, tap):
        assert time.monotonic() < deadline
        select.select([], [], [], 0.01)
    os.close(tap)


def test_netdev_tap_refuses_a_descriptor_that_is_not_a_tap(vm):
    fq, c = vm
    r, w = os.pipe()
    execute_with_fds(c, "getfd", {"fdname": "notap"}, [w])
    os.close(w)
    err = c.command("netdev_add", {"type": "tap", "id": "net0", "fd": "notap"})["error"]
    assert err["desc"].startswith("Unable to query TUNGETIFF on FD ")
    assert err["desc"].endswith(": Inappropriate ioctl for device")
    assert eof_within(r, DEADLINE)  # QEMU closes the descriptor it was given


# ---- the block layer on the host ---------------------------------------------------

def test_image_locks_conflict_between_two_processes(launch, tmp_path):
    """Two QEMUs on one qcow2 image: file-posix's OFD locks, taken for real by fakeqemu."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "conformance"))
    import record
    img = tmp_path / "disk.qcow2"
    record.write_qcow2(str(img), 16 << 20)
    first = launch(paused=True, machine="none").connect()
    second = launch(paused=True, machine="none").connect()
    node = {"driver": "qcow2", "node-name": "q0", "file": {"driver": "file", "filename": str(img)}}
    assert first.execute("blockdev-add", node) == {}
    # qcow2 takes "write" on its file and shares neither writes nor resizes.
    err = second.command("blockdev-add", node)["error"]
    assert err["desc"] == 'Failed to get "write" lock'
    err = second.command("blockdev-add", dict(node, **{"read-only": True}))["error"]
    assert err["desc"] == 'Failed to get shared "write" lock'
    # Once the first lets go, the second opens it.
    first.execute("blockdev-del", {"node-name": "q0"})
    assert second.execute("blockdev-add", node) == {}


def test_block_resize_truncates_the_file(vm, tmp_path):
    fq, c = vm
    img = tmp_path / "grow.img"
    img.write_bytes(b"\0" * 1048576)
    c.execute("blockdev-add", {"driver": "raw", "node-name": "d0",
                               "file": {"driver": "file", "filename": str(img)}})
    c.execute("block_resize", {"node-name": "d0", "size": 4 << 20})
    assert os.stat(img).st_size == 4 << 20
    sizes = {n["node-name"]: n["image"]["virtual-size"]
             for n in c.execute("query-named-block-nodes")}
    assert sizes["d0"] == 4 << 20


def test_a_node_on_an_fdset_uses_a_duplicate_of_the_passed_descriptor(vm, tmp_path):
    fq, c = vm
    img = tmp_path / "passed.img"
    img.write_bytes(b"\0" * 65536)
    fd = os.open(img, os.O_RDWR)
    execute_with_fds(c, "add-fd", {"fdset-id": 3}, [fd])
    assert c.execute("blockdev-add", {"driver": "file", "node-name": "p0",
                                      "filename": "/dev/fdset/3"}) == {}
    assert len(held_by(fq.proc.pid, fd)) == 2  # the set's member and the node's duplicate
    c.execute("blockdev-del", {"node-name": "p0"})
    deadline = time.monotonic() + DEADLINE
    while len(held_by(fq.proc.pid, fd)) != 1:
        assert time.monotonic() < deadline
        select.select([], [], [], 0.01)
    os.close(fd)
