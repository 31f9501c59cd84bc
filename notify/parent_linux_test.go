//go:build linux

package notify

import (
	"os/exec"
	"runtime"
	"syscall"
	"testing"
)

// startChild starts cmd so that the kernel sends it SIGKILL when this test process dies — even
// by SIGKILL, when no cleanup runs — and a killed test run leaves no worker process behind.
// Linux sends the parent-death signal when the thread that forked the child exits, not the
// process, and Go ends threads (one whose goroutine exits while locked to it): the fork is made
// from a goroutine that keeps its thread locked, parked, until the test ends.
func startChild(t testing.TB, cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started, release := make(chan error), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread() // back to the pool, not ended
		started <- cmd.Start()
		<-release
	}()
	t.Cleanup(func() { close(release) })
	return <-started
}

// exitWithParent is the child's side of startChild: nothing to do on Linux.
func exitWithParent() {}
