"""gaps.py - known fakeqemu gaps behind failing client comparisons (details: GAPS.md).

Each entry turns one comparison into pytest.mark.xfail(strict=True): when a
fakeqemu fix makes it pass, the XPASS fails the run and the entry must go.
`tests/clients/clients.py gaps --client govmm|libvirt` lists every differing
call against the current fakeqemu.
"""
G = {
    "G2": "G2 blockdev-add accepts host_device on a regular file and file on a directory",
    "G3": "G3 'not modelled': object-add qom-set query-memory-devices balloon dump-guest-memory "
          "migrate-set-capabilities migrate query-migrate migrate-incoming, 5.2 query-cpus",
    "G18": "G18 5.2: netdev_add does not consume its getfd'ed fd (second use: QEMU 'File descriptor named "
           "'fd-tap1' has not been found')",
    "G19": "G19 chardev-remove of a chardev in use by a virtserialport succeeds (QEMU: 'Chardev 'charch1' is busy')",
    "G20": "G20 7.2/10.0 chardev-add of a client socket with 'wait' accepted (QEMU: ''wait' option is "
           "incompatible with socket in client connect mode')",
    "G4": "G4 5.2 object-add flat form refused ('Parameter 'size' is unexpected')",
    "G5": "G5 netdev_add user: QEMU names 'script' as unexpected, fakeqemu 'downscript'",
    "G6": "G6 virtio-serial: max_ports not enforced; virtserialport unplug refused "
          "('Bus 'main-system-bus' does not support hotplugging')",
    "G7": "G7 vfio-pci sysfsdev error names /sys/bus/pci/devices/ instead of the given path",
    "G8": "G8 7.2/10.0 slot-in-use error lacks ',id=(null)' for an anonymous device",
    "G9": "G9 memory devices (pc-dimm, nvdimm, virtio-mem) and their unplug errors",
    "G10": "G10 qom-get of /machine/unattached/device[0] (composition tree)",
    "G11": "G11 vhost devices without a working backend accepted (vhost-vsock-pci vhostfd, "
           "vhost-user-blk-pci without chardev)",
    "G12": "G12 real QEMU aborts (5.2 vhost-user peer hang-up, 7.2 non-vhost-net vhostfd), fakeqemu answers",
    "G13": "G13 10.0 device_add refuses strings for num-queues/mq/share-rw/guest-cid, fakeqemu accepts",
    "G14": "G14 -realtime accepted on 7.2/10.0 (QEMU: '-realtime: invalid option')",
    "G15": "G15 argv: pci-bridge io-reserve/mem-reserve/pref64-reserve unknown; -object not created before -device",
    "G16": "G16 virtio on PCIe with disable-modern=true accepted "
           "(QEMU: 'device cannot work as neither modern nor legacy mode is enabled')",
    "G17": "G17 SHPC bridge (shpc=on): slot 0 refused and unplug completed by QEMU itself",
}


def gaps(*ids):
    return "; ".join(G[i] for i in ids)


GOVMM_GAPS = {
    ("5.2", "kata1-pc"): gaps("G18", "G2", "G3", "G4", "G5", "G6", "G7", "G9", "G10", "G11", "G12"),
    ("5.2", "kata1-q35"): gaps("G18", "G2", "G3", "G4", "G5", "G6", "G7", "G9", "G10", "G11", "G12",
                               "G16", "G17"),
    ("5.2", "kata2-pc"): gaps("G2", "G3", "G4", "G5", "G6", "G9", "G10", "G11"),
    ("5.2", "kata2-q35"): gaps("G15"),
    ("7.2", "kata1-pc"): gaps("G14"),
    ("7.2", "kata1-q35"): gaps("G14"),
    ("7.2", "kata2-pc"): gaps("G19", "G20", "G2", "G3", "G5", "G6", "G8", "G9", "G10", "G11", "G12"),
    ("7.2", "kata2-q35"): gaps("G15"),
    ("10.0", "kata1-pc"): gaps("G14"),
    ("10.0", "kata1-q35"): gaps("G14"),
    ("10.0", "kata2-pc"): gaps("G19", "G20", "G2", "G3", "G5", "G6", "G8", "G9", "G10", "G11", "G13"),
    ("10.0", "kata2-q35"): gaps("G15"),
}

# L1 (libvirt's probe stopping at qom-list-types) closed with the recorded
# introspection data: every libvirt comparison passes.
LIBVIRT_GAPS = {}
