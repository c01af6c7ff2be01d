package redistest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// NewCluster starts n cluster-enabled servers for t, joins them into one
// Redis Cluster with `redis-cli --cluster create` (no replicas), waits until
// every node reports cluster_state:ok, and stops them when t ends. It
// returns the nodes' addresses.
func NewCluster(t testing.TB, n int) []string {
	t.Helper()
	Need(t)
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatal("redis-cli is not on PATH: it comes with `apt-get install redis-server` (package redis-tools)")
	}
	root := t.TempDir()
	addrs := make([]string, n)
	for i := range n {
		dir := filepath.Join(root, strconv.Itoa(i))
		if err := mkdir(dir); err != nil {
			t.Fatal(err)
		}
		s, err := Start(dir, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
		addrs[i] = s.Addr
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v: %s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, a := range addrs {
		for {
			host, port, _ := strings.Cut(a, ":")
			out, _ := exec.Command("redis-cli", "-h", host, "-p", port, "cluster", "info").Output()
			if bytes.Contains(out, []byte("cluster_state:ok")) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ok after 20s at %s: %s", a, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return addrs
}

func mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	return nil
}
