// Command reload serves traffic from a configuration file while the file
// is edited: each good edit is applied (a new version; requests already
// running finish on theirs), a bad edit is refused with its line while the
// router keeps serving, and a rollback returns to an earlier version. The
// watcher polls the file and also reloads on SIGHUP
// (kill -HUP <pid>), as a service would wire it.
//
//	go run ./examples/reload
package main

import (
	"context"
	_ "embed"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/config"
	"github.com/llmrouter/llmrouter/providers/fake"
)

//go:embed router.yaml
var routerYAML string

func main() {
	dir, err := os.MkdirTemp("", "reload")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "router.yaml")
	edit := func(text string) { // as editors and ConfigMaps do: write aside, then rename
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			log.Fatal(err)
		}
	}
	edit(routerYAML)

	// Stand-ins for the real adapters (openai.New(...), anthropic.New(...)).
	base := llmrouter.Config{Providers: map[string]llmrouter.Provider{
		"openai":    fake.New("openai", fake.WithDefault(fake.Reply("hi from gpt"))),
		"anthropic": fake.New("anthropic", fake.WithDefault(fake.Reply("hi from claude"))),
	}}
	var mu sync.Mutex
	served := map[string]map[string]int{} // version -> deployment -> requests
	sink := llmrouter.SinkFunc(func(_ context.Context, r *llmrouter.Record) {
		mu.Lock()
		if served[r.ConfigVersion] == nil {
			served[r.ConfigVersion] = map[string]int{}
		}
		served[r.ConfigVersion][r.Deployment]++
		mu.Unlock()
	})
	router, err := config.LoadRouter(path, base, llmrouter.WithLineage(sink))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("serving", router.ConfigVersion())

	// The watcher: polling, and SIGHUP for an immediate read.
	ctx, stop := context.WithCancel(context.Background())
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{})
	go func() {
		for range hup {
			reload <- struct{}{}
		}
	}()
	events := make(chan string, 16)
	w := &config.Watcher{Router: router, Path: path, Base: base, Interval: 20 * time.Millisecond, Reload: reload,
		OnApply: func(v llmrouter.ConfigVersion, err error) {
			if err != nil {
				events <- "refused: " + err.Error()
				return
			}
			events <- "applied " + v.String()
		}}
	watching := make(chan struct{})
	go func() { defer close(watching); _ = w.Run(ctx) }()
	fmt.Println(<-events) // the file as loaded: an equal version

	// Traffic, throughout.
	var requests, failed atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, err := router.Chat(context.Background(), &llmrouter.Request{Model: "chat", Tenant: "acme",
					Messages: []llmrouter.Message{llmrouter.User("hello")}})
				requests.Add(1)
				if err != nil {
					failed.Add(1)
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	first := router.ConfigVersion()

	fmt.Println("edit 1: claude first, relabelled")
	good := strings.Replace(strings.Replace(routerYAML, "[[gpt-eu], [claude-eu]]", "[[claude-eu], [gpt-eu]]", 1), "label: launch", "label: claude-first", 1)
	edit(good)
	fmt.Println(<-events)

	fmt.Println("edit 2: a typo in a deployment name")
	edit(strings.Replace(good, "[[claude-eu], [gpt-eu]]", "[[claude-us], [gpt-eu]]", 1))
	fmt.Println(<-events)
	fmt.Println("still serving", router.ConfigVersion())

	fmt.Println("rollback to", first.ID)
	v, err := router.Rollback(first.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("serving", v)

	time.Sleep(50 * time.Millisecond)
	stop()
	wg.Wait()
	<-watching
	fmt.Printf("requests=%d failed=%d\n", requests.Load(), failed.Load())
	mu.Lock()
	for _, ver := range router.Versions() {
		if n := served[ver.ID]; n != nil {
			fmt.Printf("version %s served: gpt-eu=%t claude-eu=%t\n", ver.ID, n["gpt-eu"] > 0, n["claude-eu"] > 0)
			delete(served, ver.ID)
		}
	}
	mu.Unlock()
}
