// steps.go - the calls: every govmm Execute*/Exec* method that applies to
// x86_64, in the order a kata sandbox's life uses them, each with the
// arguments kata passes; outcomes are printed, never judged here.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	govmm "github.com/kata-containers/govmm/qemu"
)

// Buses for the hot-plug calls: kata plugs on its bridge (addressed), on a
// root port (q35) or on the root bus (pc without bridge).
func (r *run) blockBus() (bus, addr string) {
	if r.sc.layout.bridge != "" {
		return r.sc.layout.bridge, "01"
	}
	return "", "0a"
}

func (r *run) portBus(i int) string {
	if len(r.sc.layout.rootPorts) > i {
		return r.sc.layout.rootPorts[i]
	}
	return ""
}

func (r *run) steps() {
	q := r.qmp
	r.do("ExecuteQMPCapabilities", q.ExecuteQMPCapabilities)
	r.do("ExecuteQMPCapabilities (again)", q.ExecuteQMPCapabilities)
	r.connectSockets()
	r.status()
	r.do("ExecuteStop", q.ExecuteStop)
	r.status()
	r.do("ExecuteCont", q.ExecuteCont)
	r.status()
	r.schema()
	r.cpus()
	r.block()
	r.vfio()
	r.network()
	r.chardevs()
	r.memory()
	r.qom()
	r.balloonAndVsock()
	r.dump()
	r.migration()
	r.powerdownAndQuit()
}

func (r *run) status() {
	r.call("ExecuteQueryStatus", 10*time.Second, func(ctx context.Context) (interface{}, error) {
		s, err := r.qmp.ExecuteQueryStatus(ctx)
		return s, err
	})
}

// connectSockets connects to the console and agent sockets QEMU listens on,
// as kata's console watcher and kata-proxy do, and keeps them open.
func (r *run) connectSockets() {
	names := []string{"console.sock"}
	if r.sc.layout.agentChannel {
		names = append(names, "kata.sock")
	}
	for _, name := range names {
		c, err := net.Dial("unix", r.path(name))
		if err != nil {
			r.printf("connect %s: error: %v\n", name, err)
			continue
		}
		f, _ := c.(*net.UnixConn).File()
		c.Close()
		r.keep = append(r.keep, f)
		r.printf("connect %s: ok\n", name)
	}
}

func (r *run) schema() {
	r.call("ExecQueryQmpSchema", 30*time.Second, func(ctx context.Context) (interface{}, error) {
		infos, err := r.qmp.ExecQueryQmpSchema(ctx)
		if err != nil {
			return nil, err
		}
		// The whole schema is the conformance tier's business; here the
		// client's view: how many entities of each meta-type.
		counts := map[string]int{}
		for _, info := range infos {
			counts[info.MetaType]++
		}
		return map[string]interface{}{"entries": len(infos), "meta-types": counts}, nil
	})
}

func (r *run) cpus() {
	q := r.qmp
	var free *govmm.HotpluggableCPU
	queryHotpluggable := func() {
		r.call("ExecuteQueryHotpluggableCPUs", 10*time.Second, func(ctx context.Context) (interface{}, error) {
			cpus, err := q.ExecuteQueryHotpluggableCPUs(ctx)
			free = nil
			for i := range cpus {
				if cpus[i].QOMPath == "" && free == nil {
					free = &cpus[i]
				}
			}
			return cpus, err
		})
	}
	queryFast := func() {
		r.call("ExecQueryCpusFast", 10*time.Second, func(ctx context.Context) (interface{}, error) {
			cpus, err := q.ExecQueryCpusFast(ctx)
			for i := range cpus {
				cpus[i].ThreadID = 0 // a host thread id
			}
			return cpus, err
		})
	}
	queryHotpluggable()
	r.call("ExecQueryCpus", 10*time.Second, func(ctx context.Context) (interface{}, error) {
		cpus, err := q.ExecQueryCpus(ctx)
		for i := range cpus {
			// Host thread id, and where the vCPU happens to be.
			cpus[i].ThreadID, cpus[i].Pc, cpus[i].Halted = 0, 0, false
		}
		return cpus, err
	})
	queryFast()
	if free == nil {
		r.printf("(no free vCPU slot)\n")
		return
	}
	p := free.Properties
	add := func(label string) {
		r.do(label, func(ctx context.Context) error {
			return q.ExecuteCPUDeviceAdd(ctx, free.Type, "cpu-1", fmt.Sprint(p.Socket), fmt.Sprint(p.Die),
				fmt.Sprint(p.Core), fmt.Sprint(p.Thread), "")
		})
	}
	add(fmt.Sprintf("ExecuteCPUDeviceAdd(%s, cpu-1, socket %d, die %d, core %d, thread %d)",
		free.Type, p.Socket, p.Die, p.Core, p.Thread))
	add("ExecuteCPUDeviceAdd (same id again)")
	r.do("ExecuteCPUDeviceAdd(cpu-2 on the boot vCPU's slot)", func(ctx context.Context) error {
		return q.ExecuteCPUDeviceAdd(ctx, free.Type, "cpu-2", "0", "0", "0", "0", "")
	})
	queryHotpluggable()
	queryFast()
	r.deviceDel("cpu-1")
}

// deviceDel is kata's unplug: device_del, then wait for DEVICE_DELETED. A
// real QEMU without guest OS never sends it for ACPI/PCIe hot-plugged
// devices: the call then ends at r.unplugTimeout.
func (r *run) deviceDel(id string) {
	r.callAwaiting("ExecuteDeviceDel("+id+")", r.unplugTimeout, "DEVICE_DELETED",
		func(ev govmm.QMPEvent) bool { return ev.Data["device"] == id },
		func(ctx context.Context) error { return r.qmp.ExecuteDeviceDel(ctx, id) })
}

func (r *run) block() {
	q := r.qmp
	disk := func(n int) string { return r.path(fmt.Sprintf("disk%d.img", n)) }
	// kata's block hot-plug of a host block device; here a regular file.
	r.do("ExecuteBlockdevAdd(host_device on a regular file)", func(ctx context.Context) error {
		return q.ExecuteBlockdevAdd(ctx, disk(0), "drive-hd0", false)
	})
	r.do("ExecuteBlockdevAddWithCache(host_device, direct=false, no-flush=true, read-only)", func(ctx context.Context) error {
		return q.ExecuteBlockdevAddWithCache(ctx, disk(0), "drive-hd1", false, true, true)
	})
	r.do("ExecuteBlockdevAddWithDriverCache(file, drive-blk0)", func(ctx context.Context) error {
		return q.ExecuteBlockdevAddWithDriverCache(ctx, "file", disk(0), "drive-blk0", false, false, false)
	})
	r.do("ExecuteBlockdevAddWithDriverCache(file, drive-blk0 again)", func(ctx context.Context) error {
		return q.ExecuteBlockdevAddWithDriverCache(ctx, "file", disk(0), "drive-blk0", false, false, false)
	})
	r.do("ExecuteBlockdevAddWithDriverCache(file, drive-blk1, no-flush, read-only)", func(ctx context.Context) error {
		return q.ExecuteBlockdevAddWithDriverCache(ctx, "file", disk(1), "drive-blk1", false, true, true)
	})
	r.do("ExecuteBlockdevAddWithDriverCache(file, drive-scsi0)", func(ctx context.Context) error {
		return q.ExecuteBlockdevAddWithDriverCache(ctx, "file", disk(2), "drive-scsi0", false, false, false)
	})
	r.do("ExecuteBlockdevAddWithDriverCache(file, a directory)", func(ctx context.Context) error {
		return q.ExecuteBlockdevAddWithDriverCache(ctx, "file", r.path("shared"), "drive-dir", false, false, false)
	})
	r.do("ExecuteBlockdevAddWithDriverCache(file, missing file)", func(ctx context.Context) error {
		return q.ExecuteBlockdevAddWithDriverCache(ctx, "file", r.path("nosuch.img"), "drive-missing", false, false, false)
	})

	rootBus := r.portBus(0)
	r.do(fmt.Sprintf("ExecuteDeviceAdd(virtio-blk-pci virtio-blk0, bus %q, disable-modern)", rootBus), func(ctx context.Context) error {
		return q.ExecuteDeviceAdd(ctx, "drive-blk0", "virtio-blk0", "virtio-blk-pci", rootBus, "", false, true)
	})
	bus, addr := r.blockBus()
	r.do(fmt.Sprintf("ExecuteDeviceAdd(virtio-blk-pci virtio-blk-dup, same drive, bus %q)", bus), func(ctx context.Context) error {
		return q.ExecuteDeviceAdd(ctx, "drive-blk0", "virtio-blk-dup", "virtio-blk-pci", bus, "", false, false)
	})
	r.do(fmt.Sprintf("ExecutePCIDeviceAdd(virtio-blk-pci virtio-blk1, bus %q addr %s, 2 queues, share-rw)", bus, addr), func(ctx context.Context) error {
		return q.ExecutePCIDeviceAdd(ctx, "drive-blk1", "virtio-blk1", "virtio-blk-pci", addr, bus, "", 2, true, false)
	})
	r.do(fmt.Sprintf("ExecutePCIDeviceAdd(virtio-blk-pci virtio-blk2, bus %q addr %s taken)", bus, addr), func(ctx context.Context) error {
		return q.ExecutePCIDeviceAdd(ctx, "drive-scsi0", "virtio-blk2", "virtio-blk-pci", addr, bus, "", 0, false, false)
	})
	r.do("ExecuteSCSIDeviceAdd(scsi-hd scsi-hd0, scsi0.0, scsi-id 0, lun 1)", func(ctx context.Context) error {
		return q.ExecuteSCSIDeviceAdd(ctx, "drive-scsi0", "scsi-hd0", "scsi-hd", "scsi0.0", "", 0, 1, false, false)
	})
	r.do("ExecuteSCSIDeviceAdd(scsi-hd scsi-hd1, same scsi-id and lun)", func(ctx context.Context) error {
		return q.ExecuteSCSIDeviceAdd(ctx, "drive-blk1", "scsi-hd1", "scsi-hd", "scsi0.0", "", 0, 1, true, false)
	})
	r.do("ExecuteSCSIDeviceAdd(virtio-blk as a SCSI driver)", func(ctx context.Context) error {
		return q.ExecuteSCSIDeviceAdd(ctx, "drive-scsi0", "scsi-x", "virtio-blk", "scsi0.0", "", -1, -1, false, false)
	})
	r.deviceDel("scsi-hd0")
	r.do("ExecuteBlockdevDel(drive-scsi0)", func(ctx context.Context) error { return q.ExecuteBlockdevDel(ctx, "drive-scsi0") })
	r.deviceDel("virtio-blk0")
	r.do("ExecuteBlockdevDel(drive-blk0, device unplug pending)", func(ctx context.Context) error {
		return q.ExecuteBlockdevDel(ctx, "drive-blk0")
	})
	r.deviceDel("virtio-blk1")
	r.deviceDel("no-such-device")
	r.do("ExecuteBlockdevDel(no-such-node)", func(ctx context.Context) error { return q.ExecuteBlockdevDel(ctx, "no-such-node") })
}

func (r *run) vfio() {
	q := r.qmp
	bus, _ := r.blockBus()
	// No VFIO device exists here: QEMU's refusal is the expected answer.
	r.do("ExecuteVFIODeviceAdd(vfio0, 0000:ff:1f.7)", func(ctx context.Context) error {
		return q.ExecuteVFIODeviceAdd(ctx, "vfio0", "0000:ff:1f.7", r.portBus(1), "")
	})
	r.do("ExecutePCIVFIODeviceAdd(vfio1, ff:1f.7, addr 05)", func(ctx context.Context) error {
		return q.ExecutePCIVFIODeviceAdd(ctx, "vfio1", "ff:1f.7", "05", bus, "")
	})
	r.do("ExecutePCIVFIOMediatedDeviceAdd(vfio2, missing mdev)", func(ctx context.Context) error {
		return q.ExecutePCIVFIOMediatedDeviceAdd(ctx, "vfio2",
			"/sys/bus/mdev/devices/c4e5dd4c-62c6-4e0b-8c0a-1b5ec1e1e0a1", "06", bus, "")
	})
	// s390x-only methods: x86_64 QEMU does not know the models.
	r.do("ExecuteAPVFIOMediatedDeviceAdd (s390x only)", func(ctx context.Context) error {
		return q.ExecuteAPVFIOMediatedDeviceAdd(ctx, "/sys/devices/vfio_ap/matrix/c4e5dd4c-62c6-4e0b-8c0a-1b5ec1e1e0a1")
	})
}

func (r *run) network() {
	q := r.qmp
	bus, _ := r.blockBus()
	netBus, netAddr := bus, "03"
	if p := r.portBus(1); p != "" {
		netBus, netAddr = p, ""
	} else if bus == "" {
		netAddr = "0b"
	}
	r.do("ExecuteGetFD(fd-tap1, tap1_kata)", func(ctx context.Context) error { return q.ExecuteGetFD(ctx, "fd-tap1", r.taps[1]) })
	r.do("ExecuteNetdevAddByFds(tap network-1, fds fd-tap1)", func(ctx context.Context) error {
		return q.ExecuteNetdevAddByFds(ctx, "tap", "network-1", []string{"fd-tap1"}, nil)
	})
	r.do("ExecuteNetdevAddByFds(tap network-1 again)", func(ctx context.Context) error {
		return q.ExecuteNetdevAddByFds(ctx, "tap", "network-1", []string{"fd-tap1"}, nil)
	})
	r.do(fmt.Sprintf("ExecuteNetPCIDeviceAdd(virtio-net1, netdev network-1, bus %q addr %q, 1 queue)", netBus, netAddr), func(ctx context.Context) error {
		return q.ExecuteNetPCIDeviceAdd(ctx, "network-1", "virtio-net1", "02:42:ac:11:00:03", netAddr, netBus, "", 1, false)
	})
	r.do("ExecuteNetdevAddByFds(tap network-3, unknown fd name)", func(ctx context.Context) error {
		return q.ExecuteNetdevAddByFds(ctx, "tap", "network-3", []string{"fd-nosuch"}, nil)
	})
	r.do("ExecuteNetdevAdd(tap network-4, ifname tap4_kata, scripts no)", func(ctx context.Context) error {
		return q.ExecuteNetdevAdd(ctx, "tap", "network-4", "tap4_kata", "no", "no", 1)
	})
	r.do("ExecuteNetdevAdd(user network-5)", func(ctx context.Context) error {
		return q.ExecuteNetdevAdd(ctx, "user", "network-5", "", "", "", 0)
	})
	r.do("ExecuteNetdevDel(network-4)", func(ctx context.Context) error { return q.ExecuteNetdevDel(ctx, "network-4") })
	r.do("ExecuteNetdevDel(network-4 again)", func(ctx context.Context) error { return q.ExecuteNetdevDel(ctx, "network-4") })
	r.do("ExecuteNetCCWDeviceAdd (s390x only)", func(ctx context.Context) error {
		return q.ExecuteNetCCWDeviceAdd(ctx, "network-5", "virtio-net-ccw0", "02:42:ac:11:00:05", "fe.0.0001", 1)
	})
	r.deviceDel("virtio-net1")
	r.do("ExecuteNetdevDel(network-1, its NIC's unplug pending)", func(ctx context.Context) error {
		return q.ExecuteNetdevDel(ctx, "network-1")
	})
}

func (r *run) chardevs() {
	q := r.qmp
	r.do("ExecuteCharDevUnixSocketAdd(charch1, server, nowait)", func(ctx context.Context) error {
		return q.ExecuteCharDevUnixSocketAdd(ctx, "charch1", r.path("ch1.sock"), false, true)
	})
	r.do("ExecuteCharDevUnixSocketAdd(charch1 again)", func(ctx context.Context) error {
		return q.ExecuteCharDevUnixSocketAdd(ctx, "charch1", r.path("ch1b.sock"), false, true)
	})
	r.do("ExecuteVirtSerialPortAdd(channel1, agent.channel.1, charch1)", func(ctx context.Context) error {
		return q.ExecuteVirtSerialPortAdd(ctx, "channel1", "agent.channel.1", "charch1")
	})
	r.do("ExecuteChardevDel(charch1, in use)", func(ctx context.Context) error { return q.ExecuteChardevDel(ctx, "charch1") })
	r.deviceDel("channel1")
	r.do("ExecuteChardevDel(charch1)", func(ctx context.Context) error { return q.ExecuteChardevDel(ctx, "charch1") })
	r.do("ExecuteChardevDel(charch1 again)", func(ctx context.Context) error { return q.ExecuteChardevDel(ctx, "charch1") })
}

// vhostUser plugs vhost-user devices against a backend that hangs up.
func (r *run) vhostUser() {
	q := r.qmp
	bus, _ := r.blockBus()
	r.do("ExecuteCharDevUnixSocketAdd(charvu0, client of the vhost-user peer)", func(ctx context.Context) error {
		return q.ExecuteCharDevUnixSocketAdd(ctx, "charvu0", r.path("vhost-user.sock"), false, false)
	})
	r.do("ExecutePCIVhostUserDevAdd(vhost-user-blk-pci, charvu0, addr 07)", func(ctx context.Context) error {
		return q.ExecutePCIVhostUserDevAdd(ctx, "vhost-user-blk-pci", "vhost-user-blk0", "charvu0", "07", bus)
	})
	r.do("ExecuteCharDevUnixSocketAdd(charvu1, server, nowait)", func(ctx context.Context) error {
		return q.ExecuteCharDevUnixSocketAdd(ctx, "charvu1", r.path("vu1.sock"), false, true)
	})
	r.do("ExecuteNetdevChardevAdd(vhost-user network-6, chardev charvu-none)", func(ctx context.Context) error {
		return q.ExecuteNetdevChardevAdd(ctx, "vhost-user", "network-6", "charvu-none", 1)
	})
}

func (r *run) memory() {
	q := r.qmp
	queryMem := func() {
		r.call("ExecQueryMemoryDevices", 10*time.Second, func(ctx context.Context) (interface{}, error) {
			devs, err := q.ExecQueryMemoryDevices(ctx)
			return devs, err
		})
	}
	queryMem()
	r.do("ExecHotplugMemory(memory-backend-ram mem1, 128 MiB)", func(ctx context.Context) error {
		return q.ExecHotplugMemory(ctx, "memory-backend-ram", "mem1", "", 128, false)
	})
	r.do("ExecHotplugMemory(mem1 again)", func(ctx context.Context) error {
		return q.ExecHotplugMemory(ctx, "memory-backend-ram", "mem1", "", 128, false)
	})
	r.do("ExecMemdevAdd(memory-backend-file mem2, 64 MiB, shared, pc-dimm dimm2)", func(ctx context.Context) error {
		return q.ExecMemdevAdd(ctx, "memory-backend-file", "mem2", r.path("mem2"), 64, true, "pc-dimm", "dimm2", "", "")
	})
	r.do("ExecMemdevAdd(memory-backend-ram mem3, 8192 MiB, beyond maxmem)", func(ctx context.Context) error {
		return q.ExecMemdevAdd(ctx, "memory-backend-ram", "mem3", "", 8192, false, "pc-dimm", "dimm3", "", "")
	})
	pmem := false
	r.do("ExecuteNVDIMMDeviceAdd(nv1, 4 MiB, pmem off)", func(ctx context.Context) error {
		return q.ExecuteNVDIMMDeviceAdd(ctx, "nv1", r.path("nvdimm1.img"), imageSize, &pmem)
	})
	// kata 2.x's virtio-mem: one device sized to the hot-plug area, resized
	// with qom-set.
	bus, addr := r.blockBus()
	if addr == "01" {
		addr = "08"
	} else {
		addr = "0c"
	}
	r.do(fmt.Sprintf("ExecMemdevAdd(memory-backend-ram virtiomem, 1024 MiB, virtio-mem-pci virtiomem0, bus %q addr %s)", bus, addr), func(ctx context.Context) error {
		return q.ExecMemdevAdd(ctx, "memory-backend-ram", "virtiomem", "", 1024, false, "virtio-mem-pci", "virtiomem0", addr, bus)
	})
	r.do("ExecQomSet(virtiomem0, requested-size, 128 MiB)", func(ctx context.Context) error {
		return q.ExecQomSet(ctx, "virtiomem0", "requested-size", 128<<20)
	})
	queryMem()
	r.deviceDel("dimmmem1")
	r.deviceDel("nvdimmnv1")
}

func (r *run) qom() {
	q := r.qmp
	for _, pp := range [][2]string{
		{"virtiomem0", "requested-size"},
		{"virtiomem0", "size"},
		{"/machine", "type"},
		{"/machine/peripheral/cpu-1", "type"},
		{"/machine/peripheral-anon/nosuch", "type"},
		{"/machine/unattached/device[0]", "nosuch-property"},
	} {
		path, prop := pp[0], pp[1]
		r.call(fmt.Sprintf("ExecQomGet(%s, %s)", path, prop), 10*time.Second, func(ctx context.Context) (interface{}, error) {
			return q.ExecQomGet(ctx, path, prop)
		})
	}
	r.do("ExecQomSet(/machine/peripheral/nosuch, x, 1)", func(ctx context.Context) error {
		return q.ExecQomSet(ctx, "/machine/peripheral/nosuch", "x", 1)
	})
}

func (r *run) balloonAndVsock() {
	q := r.qmp
	r.do("ExecuteBalloon(1 GiB)", func(ctx context.Context) error { return q.ExecuteBalloon(ctx, 1<<30) })
	// No /dev/vhost-vsock here: a /dev/null fd stands for it.
	devnull, _ := os.Open("/dev/null")
	r.keep = append(r.keep, devnull)
	r.do("ExecuteGetFD(fd-vsock, /dev/null)", func(ctx context.Context) error { return q.ExecuteGetFD(ctx, "fd-vsock", devnull) })
	bus, _ := r.blockBus()
	r.do("ExecutePCIVSockAdd(vsock-3, cid 3, vhostfd fd-vsock, addr 09)", func(ctx context.Context) error {
		return q.ExecutePCIVSockAdd(ctx, "vsock-3", "3", "fd-vsock", "09", bus, "", false)
	})
}

func (r *run) dump() {
	r.do("ExecuteDumpGuestMemory(file:/dev/null, no paging, elf)", func(ctx context.Context) error {
		// Synchronous (no detach): DUMP_COMPLETED comes before the reply.
		return r.qmp.ExecuteDumpGuestMemory(ctx, "file:/dev/null", false, "elf")
	})
}

// migration is kata's VM-templating save: capabilities, then migrate to
// exec:cat into a file, waiting for the MIGRATION event.
func (r *run) migration() {
	q := r.qmp
	caps := func(name string) []map[string]interface{} {
		return []map[string]interface{}{{"capability": name, "state": true}}
	}
	r.do("ExecSetMigrationCaps(bypass-shared-memory) (kata 1.x, patched QEMUs)", func(ctx context.Context) error {
		return q.ExecSetMigrationCaps(ctx, caps("bypass-shared-memory"))
	})
	r.do("ExecSetMigrationCaps(x-ignore-shared) (kata 2.x)", func(ctx context.Context) error {
		return q.ExecSetMigrationCaps(ctx, caps("x-ignore-shared"))
	})
	r.do("ExecSetMigrationCaps(events)", func(ctx context.Context) error { return q.ExecSetMigrationCaps(ctx, caps("events")) })
	queryMigration := func() {
		r.call("ExecuteQueryMigration", 10*time.Second, func(ctx context.Context) (interface{}, error) {
			s, err := q.ExecuteQueryMigration(ctx)
			// Counters and timings vary; the status is the answer.
			return map[string]interface{}{"status": s.Status}, err
		})
	}
	queryMigration()
	r.do("ExecuteMigrationIncoming(exec:cat) without -incoming", func(ctx context.Context) error {
		return q.ExecuteMigrationIncoming(ctx, "exec:cat "+r.path("state"))
	})
	err := r.do("ExecSetMigrateArguments(exec:cat>state)", func(ctx context.Context) error {
		return q.ExecSetMigrateArguments(ctx, "exec:cat>"+r.path("state"))
	})
	if err == nil {
		final := func(ev govmm.QMPEvent) bool {
			s := ev.Data["status"]
			return s == "completed" || s == "failed" || s == "cancelled"
		}
		r.waitEvent("MIGRATION", final, 60*time.Second)
	}
	// Not query-status: the run state passes finish-migrate -> postmigrate
	// after the MIGRATION event, at a time of QEMU's choosing.
	queryMigration()
}

func (r *run) powerdownAndQuit() {
	q := r.qmp
	r.callAwaiting("ExecuteSystemPowerdown", 10*time.Second, "POWERDOWN", nil, q.ExecuteSystemPowerdown)
	// Last before quit, as they make some real QEMUs abort: 5.2 on the
	// vhost-user peer hanging up, 7.2 on a vhost fd that is not vhost-net
	// (net_client_init1: Assertion `nc' failed).
	r.vhostUser()
	devnull, _ := os.Open("/dev/null")
	r.keep = append(r.keep, devnull)
	r.do("ExecuteGetFD(fd-tap2, tap2_kata)", func(ctx context.Context) error { return q.ExecuteGetFD(ctx, "fd-tap2", r.taps[2]) })
	r.do("ExecuteGetFD(fd-vhost2, /dev/null)", func(ctx context.Context) error { return q.ExecuteGetFD(ctx, "fd-vhost2", devnull) })
	r.do("ExecuteNetdevAddByFds(tap network-2, fds fd-tap2, vhostfds fd-vhost2, not a vhost-net fd)", func(ctx context.Context) error {
		return q.ExecuteNetdevAddByFds(ctx, "tap", "network-2", []string{"fd-tap2"}, []string{"fd-vhost2"})
	})
	r.do("ExecuteQuit", q.ExecuteQuit)
	r.finish()
}
