"""qmp_script.py - a strict scripted QMP server for tests (one connection).

Steps: ("send", text) writes text with "@ID@" replaced by the last command's
id; ("expect", name) reads the next command and fails unless it is NAME;
("close",). A command the script did not expect, or steps left unused,
are recorded in .failures, which the test asserts is empty.
"""
import json
import os
import socket
import threading

from qdtest import short_tmpdir


class ScriptedQmp:
    GREETING = ('{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, '
                '"package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}\r\n')

    def __init__(self, steps):
        self.dir = short_tmpdir()
        self.path = os.path.join(self.dir, "qmp.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.steps = list(steps)
        self.failures = []
        self.received = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_message(self, conn, buf):
        dec = json.JSONDecoder()
        while True:
            text = buf[0].lstrip()
            if text:
                try:
                    obj, end = dec.raw_decode(text)
                    buf[0] = text[end:]
                    return obj
                except json.JSONDecodeError:
                    pass
            data = conn.recv(65536)
            if not data:
                return None
            buf[0] += data.decode()

    def _serve(self):
        conn, _ = self.sock.accept()
        conn.settimeout(10)
        buf = [""]
        last_id = "null"
        try:
            for step in self.steps:
                if step[0] == "send":
                    conn.sendall(step[1].replace("@ID@", last_id).encode())
                elif step[0] == "expect":
                    msg = self._read_message(conn, buf)
                    if msg is None:
                        self.failures.append(f"client closed, expected {step[1]}")
                        return
                    self.received.append(msg)
                    last_id = json.dumps(msg.get("id"))
                    if msg.get("execute") != step[1]:
                        self.failures.append(f"unexpected command {msg}, expected {step[1]}")
                        return
                elif step[0] == "close":
                    conn.close()
                    return
            extra = self._read_message(conn, buf)
            if extra is not None:
                self.failures.append(f"unexpected command after the script: {extra}")
        except OSError as e:
            self.failures.append(f"server error: {e}")
        finally:
            conn.close()

    def finish(self):
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "scripted QMP server did not finish"
        self.sock.close()
        assert self.failures == []
