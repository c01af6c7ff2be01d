package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/llmrouter/llmrouter/config"
)

// runConvert implements "llmrouter convert litellm FILE": it writes the
// converted configuration (YAML) to stdout and each warning to stderr,
// and returns the exit status: 0 on success, 1 when the file cannot be
// converted (the error names the LiteLLM path and line), 2 on bad usage.
func runConvert(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: llmrouter convert litellm config.yaml")
		fmt.Fprintln(stderr, "Converts a LiteLLM proxy configuration (model_list, router_settings, litellm_settings)")
		fmt.Fprintln(stderr, "to llmrouter's: the YAML on stdout, warnings on stderr. See README \"Coming from LiteLLM\".")
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 2 || fs.Arg(0) != "litellm" {
		fs.Usage()
		return exitUsage
	}
	data, err := os.ReadFile(fs.Arg(1))
	if err != nil {
		fmt.Fprintln(stderr, "llmrouter convert:", err)
		return exitError
	}
	out, err := config.ConvertLiteLLM(data)
	if err != nil {
		fmt.Fprintf(stderr, "llmrouter convert: %s: %v\n", fs.Arg(1), err)
		return exitError
	}
	for _, w := range out.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if _, err := stdout.Write(out.YAML); err != nil {
		fmt.Fprintln(stderr, "llmrouter convert:", err)
		return exitError
	}
	return exitOK
}
