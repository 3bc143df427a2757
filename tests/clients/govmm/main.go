// Command govmm-client drives a QEMU binary the way kata-containers does,
// through kata's own govmm library (Debian's golang-github-kata-containers-govmm-dev,
// unmodified): it launches "QEMU" with a kata 1.x or 2.x command line and calls
// every govmm Execute*/Exec* QMP method that applies to x86_64, printing a
// deterministic transcript of each call and its outcome on stdout.
//
// The transcript of a real QEMU is the expected output for fakeqemu in the
// same dialect; tests/clients/clients.py records and compares them.
//
//	govmm-client -qemu PATH -scenario kata2-q35 [-workdir DIR] [-unplug-timeout 500ms]
//	govmm-client -list
//
// The QEMU binary comes from -qemu, else $QEMU, else qemu-system-x86_64 on
// PATH: any binary (real QEMU, fakeqemu, a recording proxy) can be plugged in.
// Tap devices are created for the network calls, so run it as root in a
// private network namespace (unshare -n); it refuses to run otherwise.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"time"
)

func main() {
	qemuPath := flag.String("qemu", "", "QEMU binary (default $QEMU, else qemu-system-x86_64)")
	scenarioName := flag.String("scenario", "", "scenario to run (see -list)")
	workdir := flag.String("workdir", "", "directory for sockets and images (default: a fresh one under /tmp, removed afterwards)")
	unplugTimeout := flag.Duration("unplug-timeout", 500*time.Millisecond,
		"how long ExecuteDeviceDel waits for DEVICE_DELETED")
	argvOnly := flag.Bool("argv", false, "print the scenario's QEMU command line and exit")
	list := flag.Bool("list", false, "list the scenarios")
	verbose := flag.Bool("v", false, "log govmm's messages to stderr")
	flag.Parse()

	if *list {
		names := make([]string, 0, len(scenarios))
		for name := range scenarios {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Printf("%s\t%s\n", name, scenarios[name].description)
		}
		return
	}
	sc, ok := scenarios[*scenarioName]
	if !ok {
		fmt.Fprintf(os.Stderr, "govmm-client: unknown scenario %q (see -list)\n", *scenarioName)
		os.Exit(2)
	}
	if *qemuPath == "" {
		*qemuPath = os.Getenv("QEMU")
	}
	if *qemuPath == "" {
		*qemuPath = "qemu-system-x86_64"
	}

	dir := *workdir
	if dir == "" {
		d, err := os.MkdirTemp("/tmp", "govmm-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "govmm-client: %v\n", err)
			os.Exit(1)
		}
		defer os.RemoveAll(d)
		dir = d
	}

	r := newRun(sc, *qemuPath, dir, *unplugTimeout, *verbose)
	if *argvOnly {
		for i := 0; i < 3; i++ {
			f, _ := os.Open("/dev/null")
			r.taps = append(r.taps, f)
		}
		argv, err := r.argv()
		if err != nil {
			fmt.Fprintf(os.Stderr, "govmm-client: %v\n", err)
			os.Exit(1)
		}
		for _, a := range argv {
			fmt.Println(r.normalize(a))
		}
		return
	}
	code := r.execute()
	os.Exit(code)
}
