"""gaps.py - known fakeqemu gaps behind failing client comparisons (details: GAPS.md).

Each entry turns one comparison into pytest.mark.xfail(strict=True): when a
fakeqemu fix makes it pass, the XPASS fails the run, and the entry must go.
"""
GOVMM_GAPS = {}
LIBVIRT_GAPS = {}
