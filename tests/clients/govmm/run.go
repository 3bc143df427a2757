// run.go - one scenario run: host resources, launch, the QMP session and the
// transcript (each call with its normalised outcome, then the events QEMU
// sent before the reply).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	govmm "github.com/kata-containers/govmm/qemu"
)

// printArgvEnv makes the binary print its arguments into the named file and
// exit: LaunchQemu pointed at ourselves yields govmm's exact argv.
const printArgvEnv = "GOVMM_CLIENT_PRINT_ARGV"

func init() {
	if file := os.Getenv(printArgvEnv); file != "" {
		data, _ := json.Marshal(os.Args[1:])
		if err := os.WriteFile(file, data, 0o600); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
}

type run struct {
	sc            scenario
	qemu          string
	dir           string
	id            string
	uuid          string
	unplugTimeout time.Duration
	verbose       bool

	out          *bufio.Writer
	taps         []*os.File
	qmp          *govmm.QMP
	events       chan govmm.QMPEvent
	disconnected chan struct{}
	pid          int
	keep         []*os.File
}

func newRun(sc scenario, qemu, dir string, unplugTimeout time.Duration, verbose bool) *run {
	return &run{
		sc:            sc,
		qemu:          qemu,
		dir:           dir,
		id:            "govmm",
		uuid:          "4a1b9f5e-2f7c-4f43-9c5d-6c2f0f6b7a10",
		unplugTimeout: unplugTimeout,
		verbose:       verbose,
		out:           bufio.NewWriter(os.Stdout),
	}
}

func (r *run) path(name string) string { return filepath.Join(r.dir, name) }

// normalize removes what differs between runs but not between QEMUs: the
// work directory.
func (r *run) normalize(s string) string {
	return strings.ReplaceAll(s, r.dir, "@DIR@")
}

func (r *run) printf(format string, args ...interface{}) {
	fmt.Fprintf(r.out, "%s", r.normalize(fmt.Sprintf(format, args...)))
	r.out.Flush()
}

// fatal reports a problem of the test set-up itself (not a QEMU answer).
func (r *run) fatal(format string, args ...interface{}) int {
	r.out.Flush()
	fmt.Fprintf(os.Stderr, "govmm-client: "+format+"\n", args...)
	return 3
}

type logger struct{ on bool }

func (l logger) V(int32) bool { return l.on }
func (l logger) Infof(f string, a ...interface{}) {
	if l.on {
		fmt.Fprintf(os.Stderr, "govmm info: "+f+"\n", a...)
	}
}
func (l logger) Warningf(f string, a ...interface{}) {
	if l.on {
		fmt.Fprintf(os.Stderr, "govmm warning: "+f+"\n", a...)
	}
}
func (l logger) Errorf(f string, a ...interface{}) {
	if l.on {
		fmt.Fprintf(os.Stderr, "govmm error: "+f+"\n", a...)
	}
}

// prepare makes the files the command line names and the tap devices.
func (r *run) prepare() error {
	if err := os.MkdirAll(r.path("shared"), 0o755); err != nil {
		return err
	}
	for name, size := range map[string]int64{
		"kata-containers.img": imageSize, "nvdimm1.img": imageSize,
		"disk0.img": 1 << 20, "disk1.img": 1 << 20, "disk2.img": 1 << 20,
	} {
		f, err := os.Create(r.path(name))
		if err != nil {
			return err
		}
		err = f.Truncate(size)
		f.Close()
		if err != nil {
			return err
		}
	}
	for i := 0; i < 3; i++ {
		tap, err := openTap(fmt.Sprintf("tap%d_kata", i))
		if err != nil {
			return fmt.Errorf("tap device: %v (run as root under unshare -n)", err)
		}
		r.taps = append(r.taps, tap)
	}
	return startVhostUserStub(r.path("vhost-user.sock"))
}

// argv is the command line the scenario launches QEMU with.
func (r *run) argv() ([]string, error) {
	if r.sc.kata1Argv != nil {
		return r.sc.kata1Argv(r), nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	file := r.path("argv.json")
	os.Setenv(printArgvEnv, file)
	defer os.Unsetenv(printArgvEnv)
	cfg := r.sc.kata2Config(r)
	cfg.Path = self
	if errStr, err := govmm.LaunchQemu(cfg, logger{r.verbose}); err != nil {
		return nil, fmt.Errorf("argv of the govmm Config: %v %s", err, errStr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var argv []string
	err = json.Unmarshal(data, &argv)
	return argv, err
}

// launch starts QEMU as kata does: daemonized, so that the launcher returns
// once QEMU is initialised (or has failed).
func (r *run) launch() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r.sc.kata1Argv != nil {
		return govmm.LaunchCustomQemu(ctx, r.qemu, r.sc.kata1Argv(r), []*os.File{r.taps[0]}, nil, logger{r.verbose})
	}
	cfg := r.sc.kata2Config(r)
	cfg.Ctx = ctx
	return govmm.LaunchQemu(cfg, logger{r.verbose})
}

func (r *run) execute() int {
	defer r.out.Flush()
	defer r.cleanup()
	if err := r.prepare(); err != nil {
		return r.fatal("%v", err)
	}
	argv, err := r.argv()
	if err != nil {
		return r.fatal("%v", err)
	}
	r.printf("argv: %s\n", joinArgv(argv))

	errStr, err := r.launch()
	if err != nil {
		r.printf("launch: error: %v\n", err)
		for _, line := range strings.Split(strings.TrimRight(errStr, "\n"), "\n") {
			// Depends on the host's CPU count, not on QEMU.
			if !strings.Contains(line, "exceeds the recommended cpus supported by KVM") {
				r.printf("  stderr: %s\n", normalizeStderr(line))
			}
		}
		return 0
	}
	r.printf("launch: ok\n")
	if data, err := os.ReadFile(r.path("pid")); err == nil {
		r.pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	r.printf("pidfile: %s\n", map[bool]string{true: "written", false: "missing"}[r.pid > 0])

	if err := r.connect(); err != nil {
		r.printf("QMPStart: error: %v\n", err)
		return 0
	}
	r.steps()
	return 0
}

// connect opens the QMP socket as kata's qmpSetup does.
func (r *run) connect() error {
	r.events = make(chan govmm.QMPEvent, 4096)
	r.disconnected = make(chan struct{})
	cfg := govmm.QMPConfig{Logger: logger{r.verbose}, EventCh: r.events, MaxCapacity: 16 << 20}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, version, err := govmm.QMPStart(ctx, r.path("qmp.sock"), cfg, r.disconnected)
	if err != nil {
		return err
	}
	r.qmp = q
	r.printf("QMPStart: QEMU %d.%d.%d, capabilities %v\n", version.Major, version.Minor, version.Micro,
		version.Capabilities)
	return nil
}

// call runs one govmm method with its own deadline and prints its outcome and
// the events that arrived before its reply.
func (r *run) call(label string, timeout time.Duration, fn func(ctx context.Context) (interface{}, error)) (interface{}, error) {
	res, err := r.callQuiet(label, timeout, fn)
	r.drainEvents()
	return res, err
}

// callAwaiting is call for a govmm method that returns only once it has seen
// an event (ExecuteDeviceDel: DEVICE_DELETED of that device; ExecuteSystemPowerdown:
// POWERDOWN). When QEMU sends the event after the reply, govmm completes the
// call before it hands the event to the channel, so the event is printed here,
// where it belongs, and not after whatever call comes next.
func (r *run) callAwaiting(label string, timeout time.Duration, event string, match func(govmm.QMPEvent) bool,
	fn func(ctx context.Context) error) error {
	_, err := r.callQuiet(label, timeout, func(ctx context.Context) (interface{}, error) { return nil, fn(ctx) })
	if err == nil {
		r.waitEvent(event, match, 5*time.Second)
	}
	r.drainEvents()
	return err
}

// callQuiet runs one govmm method with its own deadline and prints its outcome.
func (r *run) callQuiet(label string, timeout time.Duration, fn func(ctx context.Context) (interface{}, error)) (interface{}, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := fn(ctx)
	switch {
	case err != nil:
		r.printf("%s: error: %s\n", label, err.Error())
	case res == nil:
		r.printf("%s: ok\n", label)
	default:
		data, _ := json.Marshal(res)
		r.printf("%s: ok %s\n", label, data)
	}
	return res, err
}

// do is call for the methods that return only an error.
func (r *run) do(label string, fn func(ctx context.Context) error) error {
	_, err := r.call(label, 10*time.Second, func(ctx context.Context) (interface{}, error) { return nil, fn(ctx) })
	return err
}

func (r *run) printEvent(ev govmm.QMPEvent) {
	// A migration's passes and intermediate statuses depend on timing.
	if ev.Name == "MIGRATION_PASS" {
		return
	}
	if s := ev.Data["status"]; ev.Name == "MIGRATION" && s != "completed" && s != "failed" && s != "cancelled" {
		return
	}
	data, _ := json.Marshal(ev.Data)
	if ev.Data == nil {
		r.printf("  event %s\n", ev.Name)
	} else {
		r.printf("  event %s %s\n", ev.Name, data)
	}
}

// drainEvents prints the events already received. govmm hands each event to
// the (buffered) channel before it reads the next message, so every event
// QEMU sent before a reply is here when the call returns.
func (r *run) drainEvents() {
	for {
		select {
		case ev, ok := <-r.events:
			if !ok {
				return
			}
			r.printEvent(ev)
		default:
			return
		}
	}
}

// waitEvent prints events until one named name for which match is true
// arrives, or timeout passes.
func (r *run) waitEvent(name string, match func(govmm.QMPEvent) bool, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-r.events:
			if !ok {
				return false
			}
			r.printEvent(ev)
			if ev.Name == name && (match == nil || match(ev)) {
				return true
			}
		case <-deadline.C:
			r.printf("  (no %s event within %v)\n", name, timeout)
			return false
		}
	}
}

// finish waits for govmm to see the connection close, prints the last events
// and waits for the QEMU process to exit.
func (r *run) finish() {
	state := "disconnected"
	select {
	case <-r.disconnected:
	case <-time.After(10 * time.Second):
		state = "still connected 10s after quit"
		r.qmp.Shutdown()
		<-r.disconnected
	}
	// Events after the last reply (5.2 sends SHUTDOWN after quit's return)
	// print as if they had come before: the order is not the client's.
	for ev := range r.events {
		r.printEvent(ev)
	}
	r.printf("QMP: %s\n", state)
	r.qmp = nil
	if r.pid > 0 {
		if waitExit(r.pid, 10*time.Second) {
			r.printf("QEMU: exited\n")
		} else {
			r.printf("QEMU: still running 10s after quit\n")
		}
	}
}

func (r *run) cleanup() {
	if r.qmp != nil {
		r.qmp.Shutdown()
		<-r.disconnected
	}
	if r.pid > 0 && syscall.Kill(r.pid, 0) == nil {
		syscall.Kill(r.pid, syscall.SIGKILL)
		waitExit(r.pid, 5*time.Second)
	}
	for _, f := range append(r.taps, r.keep...) {
		f.Close()
	}
}

// normalizeStderr drops what only tells where the binary runs from.
func normalizeStderr(line string) string {
	if i := strings.Index(line, "qemu-system-x86_64: "); i > 0 {
		return line[i:]
	}
	return line
}
