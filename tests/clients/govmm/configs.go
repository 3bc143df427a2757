// configs.go - the kata configurations: the QEMU command line of kata 1.x
// (verbatim) and the govmm Config of kata 2.x, for machines pc and q35.
package main

import (
	"fmt"
	"os"
	"strings"

	govmm "github.com/kata-containers/govmm/qemu"
)

// layout names the buses a scenario's hot-plug calls use.
type layout struct {
	machine string
	// bridge is the id of the pci-bridge kata put on the command line, or "".
	bridge string
	// rootPorts are the pcie-root-port ids on q35.
	rootPorts []string
	// balloon: the configuration has a virtio-balloon device.
	balloon bool
	// consolePorts: virtio-serial ports already used on serial0 (max_ports=2).
	agentChannel bool
}

type scenario struct {
	description string
	layout      layout
	// kata1Argv, when set, is the verbatim argv; otherwise kata2Config builds
	// a govmm.Config and LaunchQemu makes the argv.
	kata1Argv   func(r *run) []string
	kata2Config func(r *run) govmm.Config
}

var scenarios = map[string]scenario{
	"kata1-pc": {
		description: "kata 1.x (runtime 1.13, govmm 7d320e8) default configuration-qemu.toml: machine pc, virtio-scsi, nvdimm rootfs, 9p, agent on virtio-serial, tap by fd",
		layout:      layout{machine: "pc", bridge: "pci-bridge-0", agentChannel: true},
		kata1Argv:   func(r *run) []string { return kata1Argv(r, "pc") },
	},
	"kata1-q35": {
		description: "kata 1.x as kata1-pc with machine_type = \"q35\" and pcie_root_port = 2",
		layout:      layout{machine: "q35", bridge: "pci-bridge-0", rootPorts: []string{"rp0", "rp1"}, agentChannel: true},
		kata1Argv:   func(r *run) []string { return kata1Argv(r, "q35") },
	},
	"kata2-pc": {
		description: "kata 2.0-style configuration through govmm's Config (Debian govmm e438cc5): machine pc without bridges, nvdimm rootfs, 9p, tap by fd",
		layout:      layout{machine: "pc"},
		kata2Config: func(r *run) govmm.Config { return kata2Config(r, "pc") },
	},
	"kata2-q35": {
		description: "kata 2.4-style configuration through govmm's Config: q35, pci-bridge with io/mem/pref64 reservations, 2 root ports, read-only nvdimm, file-backed shared memory, balloon",
		layout:      layout{machine: "q35", bridge: "pci-bridge-0", rootPorts: []string{"rp0", "rp1"}, balloon: true},
		kata2Config: func(r *run) govmm.Config { return kata2Config(r, "q35") },
	},
}

// cpuModel is kata's "host" model plus its default cpu_features "pmu=off";
// "-arch-capabilities" is a cpu_features addition this machine needs: its
// nested KVM refuses MSR 0x10a and QEMU aborts ("failed to set MSR 0x10a")
// with a plain -cpu host.
const cpuModel = "host,pmu=off,-arch-capabilities"

// kata1Argv is the command line kata runtime 1.13 (govmm 7d320e8) builds for
// its default configuration (1 vCPU, default_maxvcpus = 4, 2048 MiB, 10 memory
// slots, default_bridges = 1, block_device_driver = "virtio-scsi",
// shared_fs = "virtio-9p", use_vsock = false, nesting checks on, as on a VM
// host: disable-modern=true) with one tap endpoint passed as fd 3 and vhost
// disabled (no /dev/vhost-net here). -kernel/-initrd/-append are left out so
// that no guest OS runs: a guest would answer unplug requests at random.
func kata1Argv(r *run, machine string) []string {
	bus := "pci.0"
	if machine == "q35" {
		bus = "pcie.0"
	}
	argv := []string{
		"-name", "sandbox-" + r.id, "-uuid", r.uuid,
		"-machine", machine + ",accel=kvm,kernel_irqchip,nvdimm",
		"-cpu", cpuModel,
		"-qmp", "unix:" + r.path("qmp.sock") + ",server,nowait",
		"-m", "2048M,slots=10,maxmem=5120M",
		"-device", "pci-bridge,bus=" + bus + ",id=pci-bridge-0,chassis_nr=1,shpc=on,addr=2,romfile=",
		"-device", "virtio-serial-pci,disable-modern=true,id=serial0,romfile=,max_ports=2",
		"-device", "virtconsole,chardev=charconsole0,id=console0",
		"-chardev", "socket,id=charconsole0,path=" + r.path("console.sock") + ",server,nowait",
		"-device", "nvdimm,id=nv0,memdev=mem0",
		"-object", fmt.Sprintf("memory-backend-file,id=mem0,mem-path=%s,size=%d", r.path("kata-containers.img"), imageSize),
		"-device", "virtio-scsi-pci,id=scsi0,disable-modern=true,romfile=",
		"-device", "virtserialport,chardev=charch0,id=channel0,name=agent.channel.0",
		"-chardev", "socket,id=charch0,path=" + r.path("kata.sock") + ",server,nowait",
		"-device", "virtio-9p-pci,disable-modern=true,fsdev=extra-9p-kataShared,mount_tag=kataShared,romfile=",
		"-fsdev", "local,id=extra-9p-kataShared,path=" + r.path("shared") + ",security_model=none",
		"-netdev", "tap,id=network-0,fds=3",
		"-device", "driver=virtio-net-pci,netdev=network-0,mac=02:42:ac:11:00:02,disable-modern=true,mq=on,vectors=4,romfile=",
		"-object", "rng-random,id=rng0,filename=/dev/urandom",
		"-device", "virtio-rng-pci,rng=rng0,romfile=",
	}
	if machine == "q35" {
		argv = append(argv,
			"-device", "pcie-root-port,id=rp0,bus=pcie.0,chassis=0,slot=0,multifunction=off",
			"-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=0,slot=1,multifunction=off")
	}
	argv = append(argv,
		"-rtc", "base=utc,driftfix=slew,clock=host",
		"-global", "kvm-pit.lost_tick_policy=discard",
		"-vga", "none", "-no-user-config", "-nodefaults", "-nographic", "--no-reboot", "-daemonize",
		"-object", "memory-backend-ram,id=dimm1,size=2048M", "-numa", "node,memdev=dimm1",
		"-realtime", "mlock=off",
		"-pidfile", r.path("pid"),
		"-smp", "1,cores=1,threads=1,sockets=4,maxcpus=4")
	return argv
}

// kata2Config is the govmm.Config kata 2.x's CreateVM fills for its default
// configuration with shared_fs = "virtio-9p" (virtio-fs needs virtiofsd) and
// without the vhost-vsock device (no /dev/vhost-vsock here: QEMU would exit;
// vsock is tried by hot-plug instead). pc follows kata 2.0 (no bridge, nvdimm
// read-write), q35 kata 2.4 (bridge reservations, read-only nvdimm needing
// QEMU 6.1, file-backed shared memory as virtio-fs requires, balloon).
func kata2Config(r *run, machine string) govmm.Config {
	devices := []govmm.Device{}
	if machine == "q35" {
		devices = append(devices, govmm.BridgeDevice{
			Type: govmm.PCIBridge, Bus: "pcie.0", ID: "pci-bridge-0", Chassis: 1, SHPC: false, Addr: "2",
			IOReserve: "4k", MemReserve: "1m", Pref64Reserve: "1m",
		})
	}
	devices = append(devices,
		govmm.SerialDevice{Driver: govmm.VirtioSerial, ID: "serial0", MaxPorts: 2},
		govmm.CharDevice{Driver: govmm.Console, Backend: govmm.Socket, DeviceID: "console0",
			ID: "charconsole0", Path: r.path("console.sock")},
		govmm.Object{Driver: govmm.NVDIMM, Type: govmm.MemoryBackendFile, DeviceID: "nv0", ID: "mem0",
			MemPath: r.path("kata-containers.img"), Size: imageSize, ReadOnly: machine == "q35"},
		govmm.SCSIController{ID: "scsi0"},
		govmm.FSDevice{Driver: govmm.Virtio9P, FSDriver: govmm.Local, ID: "extra-9p-kataShared",
			Path: r.path("shared"), MountTag: "kataShared", SecurityModel: govmm.None, Multidev: govmm.Remap},
		govmm.NetDevice{Type: govmm.TAP, Driver: govmm.VirtioNet, ID: "network-0", IFName: "tap0_kata",
			MACAddress: "02:42:ac:11:00:02", DownScript: "no", Script: "no", FDs: []*os.File{r.taps[0]}},
		govmm.RngDevice{ID: "rng0", Filename: "/dev/urandom"},
	)
	knobs := govmm.Knobs{NoUserConfig: true, NoDefaults: true, NoGraphic: true, NoReboot: true, Daemonize: true}
	memory := govmm.Memory{Size: "2048M", Slots: 10, MaxMem: "5120M"}
	options := "accel=kvm,kernel_irqchip=on,nvdimm=on"
	if machine == "q35" {
		for i := 0; i < 2; i++ {
			devices = append(devices, govmm.PCIeRootPortDevice{ID: fmt.Sprintf("rp%d", i), Bus: "pcie.0",
				Chassis: "0", Slot: fmt.Sprint(i), Addr: "0"})
		}
		devices = append(devices, govmm.BalloonDevice{ID: "balloon0", DeflateOnOOM: true})
		knobs.FileBackedMem = true
		knobs.MemShared = true
		memory.Path = "/dev/shm"
	}
	return govmm.Config{
		Path:        r.qemu,
		Uid:         uint32(os.Getuid()),
		Gid:         uint32(os.Getgid()),
		Name:        "sandbox-" + r.id,
		UUID:        r.uuid,
		Machine:     govmm.Machine{Type: machine, Options: options},
		CPUModel:    cpuModel,
		QMPSockets:  []govmm.QMPSocket{{Type: govmm.Unix, Name: r.path("qmp.sock"), Server: true, NoWait: true}},
		Devices:     devices,
		RTC:         govmm.RTC{Base: govmm.UTC, Clock: govmm.Host, DriftFix: govmm.Slew},
		GlobalParam: "kvm-pit.lost_tick_policy=discard",
		VGA:         "none",
		Knobs:       knobs,
		Memory:      memory,
		PidFile:     r.path("pid"),
		SMP:         govmm.SMP{CPUs: 1, Cores: 1, Threads: 1, Sockets: 4, MaxCPUs: 4},
	}
}

// imageSize is the size of the stand-in rootfs image behind the nvdimm.
const imageSize = 4 << 20

func joinArgv(argv []string) string { return strings.Join(argv, " ") }
