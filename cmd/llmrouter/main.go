// Command llmrouter is the router's command-line tool. Its subcommands:
//
//	llmrouter replay --log records.jsonl --config new.yaml [--html out.html]
//	llmrouter convert litellm config.yaml
//
// convert turns a LiteLLM proxy configuration into this router's (see
// config.ConvertLiteLLM). replay re-plans every request of a decision log (the lineage records a
// JSONLSink writes) under another configuration file, sending nothing, and
// reports what would change: first choices that move, requests refused
// and by which policy, the cost at the new prices, and each deployment's
// recorded latency (see package replay).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed: a bad file, an unreadable log
	exitUsage = 2 // the command line is wrong
)

// run runs the subcommand args name and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "replay":
		return runReplay(args[1:], stdout, stderr)
	case "convert":
		return runConvert(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	fmt.Fprintf(stderr, "llmrouter: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: llmrouter <command> [flags]

Commands:
  replay   re-plan a decision log under another configuration and report the differences
           llmrouter replay --log records.jsonl --config new.yaml [--html out.html]
  convert  turn a LiteLLM proxy configuration into this router's (YAML on stdout)
           llmrouter convert litellm config.yaml

Run "llmrouter <command> -h" for a command's flags.
`)
}

// parseFlags parses a subcommand's args into fs (which prints its own
// errors and usage). When it reports false the command ends with code:
// exitOK after -h, exitUsage after a bad flag.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, true
	case errors.Is(err, flag.ErrHelp):
		return exitOK, false
	}
	return exitUsage, false
}
