//go:build race

package notify

// raceBuild: the race detector slows the kill -9 test about tenfold.
const raceBuild = true
