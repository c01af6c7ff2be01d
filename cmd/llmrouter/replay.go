package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/config"
	"github.com/llmrouter/llmrouter/replay"
)

// runReplay is "llmrouter replay": it replays a decision log under a
// configuration file. The file names its providers, which a service
// registers in code with their keys; the command registers a stand-in
// under each name instead (replay.StandIns), named and able to embed as
// the log shows, and never calls one: it plans and sends nothing. It reads
// the log twice (first to learn the providers' names, then to replay), so
// its memory does not grow with the log.
func runReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("llmrouter replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logPath := fs.String("log", "", "the decision log: lineage records, one JSON object a line, as JSONLSink writes them (required)")
	cfgPath := fs.String("config", "", "the configuration to replay under, YAML or JSON (required)")
	htmlPath := fs.String("html", "", "also write the report to this file as a self-contained HTML page")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: llmrouter replay --log records.jsonl --config new.yaml [--html out.html]\n\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "llmrouter replay: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	case *logPath == "" || *cfgPath == "":
		fmt.Fprintln(stderr, "llmrouter replay: --log and --config are required")
		fs.Usage()
		return exitUsage
	}
	rep, err := replayFiles(*logPath, *cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "llmrouter replay: "+err.Error())
		return exitError
	}
	if err := rep.WriteText(stdout); err != nil {
		fmt.Fprintln(stderr, "llmrouter replay: "+err.Error())
		return exitError
	}
	if *htmlPath != "" {
		if err := writeHTML(*htmlPath, rep); err != nil {
			fmt.Fprintln(stderr, "llmrouter replay: "+err.Error())
			return exitError
		}
	}
	return exitOK
}

// replayFiles replays the log at logPath under the configuration file at
// cfgPath, with stand-in providers.
func replayFiles(logPath, cfgPath string) (*replay.Report, error) {
	log, err := os.Open(logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	var standIns replay.StandIns
	d := replay.NewDecoder(log)
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", logPath, err)
		}
		standIns.Learn(rec)
	}
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Parse(data, llmrouter.Config{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	standIns.Fill(cfg)
	// Built once through the config package, whose errors name the file's
	// line, before the replay builds its own.
	if _, err := config.NewRouter(data, llmrouter.Config{Providers: cfg.Providers}); err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	if _, err := log.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	rep, err := replay.Run(log, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", logPath, err)
	}
	return rep, nil
}

// writeHTML writes the HTML report to path, replacing it only once it is
// whole.
func writeHTML(path string, rep *replay.Report) error {
	var b strings.Builder
	if err := rep.WriteHTML(&b); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
