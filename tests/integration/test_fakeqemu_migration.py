"""fakeqemu's migration and memory dump as a client sees them from outside: the stream
really goes through the channel (a command, a unix socket, a passed descriptor), one
fakeqemu takes another's stream with -incoming and the source's run state, and
dump-guest-memory writes a core file.

The conformance scripts (be-migrate-*, be-dump*) compare the replies and events with
real QEMU; these tests check the bytes, files and processes the replies cannot show.
"""
import os
import socket
import struct

import pytest

from fakeqemu_client import QmpError
from test_fakeqemu_backends import execute_with_fds

DEADLINE = 10.0
EVENTS = {"capabilities": [{"capability": "events", "state": True}]}


def migrate(c, uri, status="completed"):
    """migrate to @uri with MIGRATION events; wait for @status; return query-migrate."""
    c.execute("migrate-set-capabilities", EVENTS)
    assert c.execute("migrate", {"uri": uri}) == {}
    c.wait_event("MIGRATION", DEADLINE, data={"status": status})
    return c.execute("query-migrate")


def status(c):
    return c.execute("query-status")["status"]


def test_exec_writes_a_stream_another_fakeqemu_loads_with_the_source_state(launch, tmp_path):
    state = tmp_path / "vm.state"
    src = launch(paused=True)
    c = src.connect()
    info = migrate(c, f"exec:cat>{state}")
    assert info["status"] == "completed" and info["ram"]["total"] == 128 * 2**20 + 532480
    assert status(c) == "postmigrate"
    data = state.read_bytes()
    # savevm.c's framing: magic, version 3, the configuration section with the machine.
    assert data[:8] == b"QEVM\x00\x00\x00\x03" and b"pc-i440fx-7.2" in data[:32]
    assert b"\x0bglobalstate" in data and b"prelaunch" in data
    dst = launch(args=["-incoming", f"exec:cat {state}"])
    d = dst.connect()
    # The source never ran: its run state comes along, the destination does not start.
    for _ in range(100):
        if d.execute("query-migrate") == {"status": "completed"}:
            break
        d.collect(0.05)
    assert d.execute("query-migrate") == {"status": "completed"}
    assert status(d) == "prelaunch"


def test_unix_socket_from_a_running_source_starts_the_destination(launch, tmp_path):
    path = str(tmp_path / "mig.sock")
    dst = launch(args=["-incoming", f"unix:{path}"])
    d = dst.connect()
    assert status(d) == "inmigrate"
    assert os.path.exists(path)
    src = launch()
    c = src.connect()
    migrate(c, f"unix:{path}")
    assert status(c) == "postmigrate"
    # No -S on the destination: autostart, RESUME once the stream is in.
    d.wait_event("RESUME", DEADLINE)
    assert status(d) == "running"
    assert not os.path.exists(path)


def test_a_stream_of_another_machine_type_makes_the_destination_exit(launch, tmp_path):
    state = tmp_path / "q35.state"
    src = launch(paused=True, machine="q35")
    migrate(src.connect(), f"exec:cat>{state}")
    dst = launch(args=["-incoming", f"exec:cat {state}"])
    assert dst.wait(DEADLINE) == 1
    assert dst.output() == (
        "fakeqemu: Machine type received is 'pc-q35-7.2' and local is 'pc-i440fx-7.2'\n"
        "fakeqemu: load of migration failed: Invalid argument\n")


def test_a_command_that_does_not_read_fails_the_migration_and_the_vm_runs_on(launch):
    fq = launch()
    c = fq.connect()
    info = migrate(c, "exec:true", status="failed")
    assert info == {"status": "failed", "error-desc": "Unable to write to command: Broken pipe"}
    assert status(c) == "running"
    assert "fakeqemu: Unable to write to command: Broken pipe\n" in fq.output()


def test_migrate_cancel_of_a_stalled_migration(launch):
    fq = launch()
    c = fq.connect()
    # The command never reads: the pipe fills, the migration stays active.
    migrate(c, "exec:exec sleep 60", status="active")
    assert c.execute("query-migrate")["status"] == "active"
    with pytest.raises(QmpError, match="There's a migration process in progress"):
        c.execute("migrate", {"uri": "exec:cat>/dev/null"})
    assert c.execute("migrate_cancel") == {}
    c.wait_event("MIGRATION", DEADLINE, data={"status": "cancelled"})
    assert status(c) == "running"
    # A new migration may start again.
    assert migrate(c, "exec:cat>/dev/null")["status"] == "completed"


def test_fd_migration_writes_to_the_passed_descriptor(launch):
    fq = launch(paused=True)
    c = fq.connect()
    r, w = os.pipe()
    assert execute_with_fds(c, "getfd", {"fdname": "mig"}, [w])["return"] == {}
    os.close(w)
    c.execute("migrate-set-capabilities", EVENTS)
    assert c.execute("migrate", {"uri": "fd:mig"}) == {}
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    c.wait_event("MIGRATION", DEADLINE, data={"status": "completed"})
    assert data.startswith(b"QEVM") and data.endswith(b"\x00")
    # The descriptor was consumed.
    c.execute("cont")
    with pytest.raises(QmpError, match="File descriptor named 'mig' has not been found"):
        c.execute("migrate", {"uri": "fd:mig"})


def test_dump_writes_an_elf_core_with_a_load_segment_per_ram_block(launch, tmp_path):
    core = tmp_path / "core"
    fq = launch(paused=True, args=["-m", "256"])
    c = fq.connect()
    assert c.execute("dump-guest-memory", {"protocol": f"file:{core}", "paging": False}) == {}
    total = 256 * 2**20 + 256 * 1024
    assert c.execute("query-dump") == {"status": "completed", "completed": total,
                                       "total": total}
    st = os.stat(core)
    assert st.st_mode & 0o777 == 0o400
    with open(core, "rb") as f:
        head = f.read(4096)
    assert head[:4] == b"\x7fELF" and head[4] == 2  # ELFCLASS64
    e_type, e_machine = struct.unpack_from("<HH", head, 16)
    phoff, = struct.unpack_from("<Q", head, 32)
    phnum, = struct.unpack_from("<H", head, 56)
    assert (e_type, e_machine) == (4, 62)  # ET_CORE, EM_X86_64
    loads = []
    for i in range(phnum):
        p_type, _, p_offset, _, p_paddr, p_filesz = struct.unpack_from("<IIQQQQ", head,
                                                                       phoff + 56 * i)
        if p_type == 1:
            loads.append((p_paddr, p_filesz))
    assert loads == [(0, 256 * 2**20), (2**32 - 256 * 1024, 256 * 1024)]
    assert st.st_size == sum(n for _, n in loads) + 64 + 56 * phnum


def test_dump_to_a_passed_descriptor_and_kdump_signature(launch):
    fq = launch(paused=True)
    c = fq.connect()
    r, w = os.pipe()
    assert execute_with_fds(c, "getfd", {"fdname": "d"}, [w])["return"] == {}
    os.close(w)
    assert c.execute("dump-guest-memory", {"protocol": "fd:d", "paging": False,
                                           "format": "kdump-zlib"}) == {}
    assert os.read(r, 8) == b"KDUMP   "
    os.close(r)
