// Package redistest starts throwaway redis-server processes for tests and
// examples: one per call, on a free loopback port, with its files in a
// directory of its own, never persisted unless asked.
//
// Tests call New (or NewCluster), which skips the test with a message saying
// how to install the server when redis-server is not on PATH, and fails it
// instead when CI=true, so that CI never passes by skipping. Examples call
// Start and Stop directly.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Install says how to get the server.
const Install = "redis-server is not on PATH: install it with `apt-get install redis-server` (Debian/Ubuntu)"

// Server is one running redis-server. Its methods are not safe for
// concurrent use.
type Server struct {
	// Addr is host:port of the server, on 127.0.0.1.
	Addr string
	port int
	dir  string
	args []string
	conf string // sentinel: its configuration file (sentinel rewrites it)
	cmd  *exec.Cmd
	// exited receives the process's exit once; nil while no process runs.
	exited chan error
}

// Available reports whether redis-server is on PATH.
func Available() bool {
	_, err := exec.LookPath("redis-server")
	return err == nil
}

// Start runs redis-server on a free loopback port (below 55536, so that a
// cluster bus port fits) with dir as its working directory, and waits until
// it answers PING. extra are more configuration directives as command-line
// arguments ("--appendonly", "yes").
func Start(dir string, extra ...string) (*Server, error) {
	return startServer(dir, "", extra)
}

// startServer is Start, of a sentinel when conf (its configuration file)
// is set.
func startServer(dir, conf string, extra []string) (*Server, error) {
	if !Available() {
		return nil, errors.New(Install)
	}
	var last error
	for range 20 {
		port := freePort()
		if port == 0 {
			continue
		}
		s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), port: port, dir: dir, args: extra, conf: conf}
		if last = s.start(); last == nil {
			return s, nil
		}
	}
	return nil, fmt.Errorf("redistest: no server started: %w", last)
}

// freePort picks a port whose cluster bus port (port+10000) is free too.
func freePort() int {
	port := 20000 + rand.IntN(35000)
	for _, p := range []int{port, port + 10000} {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return 0
		}
		_ = l.Close()
	}
	return port
}

func (s *Server) start() error {
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--dir", s.dir, "--logfile", filepath.Join(s.dir, "redis.log")}
	if s.conf != "" {
		args = append([]string{s.conf, "--sentinel"}, args...)
	} else {
		args = append(args, "--save", "", "--appendonly", "no")
	}
	s.cmd = exec.Command("redis-server", append(args, s.args...)...)
	if err := s.cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server exited (%v): %s", err, lastLines(string(log), 3))
		default:
		}
		if Ping(s.Addr) == nil {
			s.exited = exited
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = s.cmd.Process.Kill()
	<-exited
	return errors.New("redis-server did not answer PING within 10s")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// Ping sends PING to addr and waits up to a second for PONG.
func Ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second)) //nolint:errcheck
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("redistest: PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// Stop ends the server with SIGTERM (it saves first if persistence is on)
// and waits for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.signal(syscall.SIGTERM)
}

// Kill ends the server with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() {
	s.signal(syscall.SIGKILL)
}

func (s *Server) signal(sig syscall.Signal) {
	if s.exited == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused server cannot act on SIGTERM
	_ = s.cmd.Process.Signal(sig)
	<-s.exited
	s.exited = nil
}

// Restart starts the server again on the same port and directory (after
// Stop or Kill), retrying for a few seconds while the port is released.
func (s *Server) Restart() error {
	var err error
	for range 50 {
		if err = s.start(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// Pause freezes the server (SIGSTOP): connections stay open and nothing
// answers, as with a hung or partitioned server. Resume undoes it.
func (s *Server) Pause() { _ = s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume wakes a paused server.
func (s *Server) Resume() { _ = s.cmd.Process.Signal(syscall.SIGCONT) }

// Need skips t when redis-server is missing, or fails it when CI=true.
func Need(t testing.TB) {
	t.Helper()
	if Available() {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(Install + "; CI=true, so this is a failure, not a skip")
	}
	t.Skip(Install)
}

// New starts a server for t (see Start) and stops it when t ends.
func New(t testing.TB, extra ...string) *Server {
	t.Helper()
	Need(t)
	s, err := Start(t.TempDir(), extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}
