package replay_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/config"
	"github.com/llmrouter/llmrouter/replay"
)

// BenchmarkReplay measures replaying one record of the fixture's log
// under eu-only.yaml: decoding its JSON line and planning it.
func BenchmarkReplay(b *testing.B) {
	log, err := os.ReadFile(filepath.Join("testdata", "records.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "eu-only.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	var s replay.StandIns
	recs, err := replay.ReadAll(bytes.NewReader(log))
	if err != nil {
		b.Fatal(err)
	}
	for _, rec := range recs {
		s.Learn(rec)
	}
	cfg, err := config.Parse(data, llmrouter.Config{})
	if err != nil {
		b.Fatal(err)
	}
	s.Fill(cfg)
	r, err := replay.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(log), []byte("\n"))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var rec llmrouter.Record
		if err := rec.UnmarshalJSON(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
		r.Add(&rec)
		i++
	}
}
