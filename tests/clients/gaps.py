"""gaps.py - known fakeqemu gaps behind failing client comparisons (details: GAPS.md).

Each entry turns one comparison into pytest.mark.xfail(strict=True): when a
fakeqemu fix makes it pass, the XPASS fails the run and the entry must go.
`tests/clients/clients.py gaps --client govmm|libvirt` lists every differing
call against the current fakeqemu.
"""
G = {
    "G11": "G11 vhost-vsock-pci with a vhostfd that is no vhost device accepted",
    "G12": "G12 real QEMU aborts (5.2 vhost-user peer hang-up, 7.2 non-vhost-net vhostfd), fakeqemu answers",
    "G16": "G16 virtio on PCIe with disable-modern=true accepted "
           "(QEMU: 'device cannot work as neither modern nor legacy mode is enabled')",
    "G17": "G17 SHPC bridge (shpc=on): slot 0 refused and unplug completed by QEMU itself",
}


def gaps(*ids):
    return "; ".join(G[i] for i in ids)


GOVMM_GAPS = {
    ("5.2", "kata1-pc"): gaps("G11", "G12"),
    ("5.2", "kata1-q35"): gaps("G11", "G12", "G16", "G17"),
    ("5.2", "kata2-pc"): gaps("G11"),
    ("7.2", "kata2-pc"): gaps("G11", "G12"),
    ("7.2", "kata2-q35"): gaps("G11", "G12", "G16"),
    ("10.0", "kata2-pc"): gaps("G12"),
    ("10.0", "kata2-q35"): gaps("G12", "G16"),
}

# L1 (libvirt's probe stopping at qom-list-types) closed with the recorded
# introspection data: every libvirt comparison passes.
LIBVIRT_GAPS = {}
