// hostdev.go - the host side of the calls: tap devices, a vhost-user peer
// that hangs up, and waiting for a process that is not our child.
package main

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"
)

const (
	tunSetIff  = 0x400454ca
	iffTap     = 0x0002
	iffNoPi    = 0x1000
	iffVnetHdr = 0x4000
	// sysPidfdOpen is pidfd_open(2) on x86_64 (Go 1.19's syscall lacks it).
	sysPidfdOpen = 434
)

// openTap creates a tap device as kata's network endpoints do (IFF_TAP,
// IFF_NO_PI, IFF_VNET_HDR) and returns its queue fd. The device lives as
// long as the fd, in the current network namespace: run in a private one.
func openTap(name string) (*os.File, error) {
	f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	var req struct {
		name  [16]byte
		flags uint16
		_     [22]byte
	}
	copy(req.name[:], name)
	req.flags = iffTap | iffNoPi | iffVnetHdr
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), tunSetIff, uintptr(unsafe.Pointer(&req)))
	if errno != 0 {
		f.Close()
		return nil, fmt.Errorf("TUNSETIFF %s: %v", name, errno)
	}
	return f, nil
}

// startVhostUserStub listens on path and hangs up on each client once it has
// sent its first message: a vhost-user backend that fails deterministically
// (the QEMU side sends first and then waits for the reply).
func startVhostUserStub(path string) error {
	l, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				buf := make([]byte, 1)
				c.SetReadDeadline(time.Now().Add(30 * time.Second))
				c.Read(buf)
				c.Close()
			}(c)
		}
	}()
	return nil
}

// waitExit waits until process pid has exited, at most timeout.
func waitExit(pid int, timeout time.Duration) bool {
	fd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if errno != 0 {
		return errno == syscall.ESRCH
	}
	defer syscall.Close(int(fd))
	var set syscall.FdSet
	set.Bits[fd/64] |= 1 << (fd % 64)
	tv := syscall.NsecToTimeval(timeout.Nanoseconds())
	for {
		n, err := syscall.Select(int(fd)+1, &set, nil, nil, &tv)
		if err == syscall.EINTR {
			continue
		}
		return err == nil && n == 1
	}
}
