"""gaps.py - known fakeqemu gaps behind failing client comparisons (details: GAPS.md).

Each entry turns one comparison into pytest.mark.xfail(strict=True): when a
fakeqemu fix makes it pass, the XPASS fails the run and the entry must go.
`tests/clients/clients.py gaps --client govmm|libvirt` lists every differing
call against the current fakeqemu.
"""
# Every gap found by the clients tier is closed (GAPS.md keeps their history);
# a new one gets an entry here, "GN <what differs>", and a strict xfail below.
G = {}


def gaps(*ids):
    return "; ".join(G[i] for i in ids)


GOVMM_GAPS = {}

# L1 (libvirt's probe stopping at qom-list-types) closed with the recorded
# introspection data: every libvirt comparison passes.
LIBVIRT_GAPS = {}
