//go:build !race

package notify

const raceBuild = false
