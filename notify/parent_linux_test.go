//go:build linux

package notify

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel send SIGKILL to cmd's process when this test process dies — even
// by SIGKILL, when no cleanup runs — so that a killed test run leaves no worker process behind.
// (Strictly, when the thread that started it exits; Go ends a thread only when a goroutine
// locked to it exits, which the tests do not do.)
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// exitWithParent is the child's side of dieWithParent: nothing to do on Linux.
func exitWithParent() {}
