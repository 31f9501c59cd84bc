//go:build !linux

package notify

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// startChild starts cmd; without Linux's parent-death signal the child watches its parent itself
// (exitWithParent).
func startChild(_ testing.TB, cmd *exec.Cmd) error { return cmd.Start() }

// exitWithParent ends this child process when its parent has gone (it is re-parented, so its
// parent process id changes), checking twice a second.
func exitWithParent() {
	parent := os.Getppid()
	go func() {
		for range time.Tick(500 * time.Millisecond) {
			if os.Getppid() != parent {
				os.Exit(2)
			}
		}
	}()
}
