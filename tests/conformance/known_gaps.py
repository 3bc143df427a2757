"""known_gaps.py - probe scripts that show what fakeqemu does not model yet.

The fakeqemu comparisons (tests/integration/test_fakeqemu_conformance.py,
tests/system/test_conformance_live.py) mark these strict xfails: when fakeqemu
learns it, the XPASS fails the run and the entry must go.
"""
KNOWN_GAPS = {
    "qom-tree-walk-pc": "composition tree: a cold-plugged bridge bus's acpi-pcihp-bsel, and "
                        "qom-list's hash order of objects whose children differ from the "
                        "recorded probe's (a bridge whose bus is named after its id, a SCSI "
                        "controller and pci.0 with more devices)",
}


def params(scripts):
    """pytest params of @scripts, the known gaps as strict xfails."""
    import pytest
    return [pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[s]))
            if s in KNOWN_GAPS else s for s in scripts]
