package redistest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Sentinel is a replicated set watched by one Redis Sentinel: a master, a
// replica of it, and a sentinel (redis-server --sentinel, which is what
// Debian's redis-sentinel package runs) that fails over to the replica
// about a second after the master stops answering.
type Sentinel struct {
	// Name is the master name the sentinel monitors (FailoverOptions.MasterName).
	Name string
	// Addr is the sentinel's address (FailoverOptions.SentinelAddrs).
	Addr string
	// Master and Replica are the data servers, as started.
	Master, Replica *Server
}

// NewSentinel starts a master, a replica and a sentinel for t (quorum 1,
// down after 500ms), waits until the replica has synced and the sentinel
// sees it, and stops
// them when t ends. Without redis-server it skips t, or fails it under
// CI=true, as New does; if only the sentinel cannot start, it skips t.
func NewSentinel(t testing.TB) *Sentinel {
	t.Helper()
	Need(t)
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatal("redis-cli is not on PATH: it comes with `apt-get install redis-server` (package redis-tools)")
	}
	root := t.TempDir()
	dirs := make([]string, 3)
	for i, n := range []string{"master", "replica", "sentinel"} {
		dirs[i] = filepath.Join(root, n)
		if err := mkdir(dirs[i]); err != nil {
			t.Fatal(err)
		}
	}
	st := &Sentinel{Name: "llmr-test"}
	var err error
	if st.Master, err = Start(dirs[0]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Master.Stop)
	host, port, _ := strings.Cut(st.Master.Addr, ":")
	if st.Replica, err = Start(dirs[1], "--replicaof", host, port); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Replica.Stop)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(SentinelCmd(st.Replica.Addr, "INFO", "replication"), "master_link_status:up") {
		if time.Now().After(deadline) {
			t.Fatal("redistest: the replica did not sync with its master within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	conf := filepath.Join(dirs[2], "sentinel.conf")
	text := fmt.Sprintf("sentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %[1]s 500\n"+
		"sentinel failover-timeout %[1]s 5000\n", st.Name, host, port)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := startServer(dirs[2], conf, nil)
	if err != nil {
		t.Skipf("redistest: redis-server --sentinel did not start (%v); Sentinel is not tested here", err)
	}
	t.Cleanup(s.Stop)
	st.Addr = s.Addr
	// The sentinel learns of the replica from the master's INFO, within
	// its 10s INFO period at worst.
	deadline = time.Now().Add(20 * time.Second)
	for !strings.Contains(SentinelCmd(s.Addr, "SENTINEL", "REPLICAS", st.Name), st.Replica.Addr[len(host)+1:]) {
		if time.Now().After(deadline) {
			t.Fatal("redistest: the sentinel did not see the replica within 20s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return st
}

// SentinelCmd runs a command on addr with redis-cli and returns its
// output ("" on error).
func SentinelCmd(addr string, args ...string) string {
	host, port, _ := strings.Cut(addr, ":")
	out, _ := exec.Command("redis-cli", append([]string{"-h", host, "-p", port}, args...)...).Output()
	return string(out)
}
