package main

// A stand-in dispatcher so that this package builds on its own in the
// litellm branch; the lead replaces it with cmd/llmrouter/main.go (run's
// "convert" case calls runConvert).

import (
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "convert" {
		return runConvert(args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, "usage: llmrouter convert litellm config.yaml")
	return 2
}
