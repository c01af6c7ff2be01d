package llmrouter

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// refStats is the per-deployment statistics as they were before observe
// took its common case out of line and packed the quantiles in one word:
// every estimate in float64, one compare-and-swap each, math.Exp for the
// weights. TestObserveMatchesReference holds deploymentStats to it.
type refStats struct {
	ttft, perToken    refSeries
	errRate, tput     float64
	at, failedAt      int64
	wholeP95, ttftP95 float64
}

type refSeries struct {
	peak, p90 float64
	at        int64
}

func (s *refSeries) observe(x float64, at int64, decay float64) {
	last := s.at
	if at > last {
		s.at = at
	}
	w := math.Exp(-float64(max(at-last, 0)) / decay)
	if x >= s.peak || last == 0 {
		s.peak = x
	} else {
		s.peak = s.peak*w + x*(1-w)
	}
	refQuantile(&s.p90, x, 0.9)
}

func refQuantile(a *float64, x, q float64) {
	switch {
	case *a == 0:
		*a = x
	case x > *a:
		*a *= 1 + q*0.05
	default:
		*a *= 1 - (1-q)*0.05
	}
}

func (st *refStats) observe(start time.Time, dur, ttft time.Duration, out int, failed bool, decay float64) {
	end := start.UnixNano() + int64(dur)
	last := st.at
	if end > last {
		st.at = end
	}
	w := math.Exp(-float64(max(end-last, 0)) / decay)
	fail := 0.0
	if failed {
		fail = 1
		st.failedAt = max(st.failedAt, end)
	}
	if failed || st.errRate != 0 {
		we := min(w, 1-errorWeightMin)
		st.errRate = st.errRate*we + fail*(1-we)
	}
	if ttft > 0 {
		st.ttft.observe(float64(ttft), start.UnixNano()+int64(ttft), decay)
		refQuantile(&st.ttftP95, float64(ttft), 0.95)
	}
	if failed || out <= 0 {
		return
	}
	if ttft <= 0 {
		st.perToken.observe(float64(dur)/float64(out), end, decay)
		refQuantile(&st.wholeP95, float64(dur), 0.95)
	}
	if gen := dur - ttft; gen > 0 {
		rate := float64(out) / gen.Seconds()
		if st.tput == 0 {
			st.tput = rate
		} else {
			st.tput = st.tput*w + rate*(1-w)
		}
	}
}

// near reports whether got is within rel (relative) of want.
func near(got, want, rel float64) bool {
	return got == want || math.Abs(got-want) <= rel*math.Max(math.Abs(got), math.Abs(want))
}

// TestObserveMatchesReference feeds the same random attempts (whole
// answers, streams, failures, empty answers, hedges that lost; close
// together and far apart, so that both weights and both paths of observe
// are taken) to deploymentStats and to refStats, and checks every
// estimate after each: the EWMAs to 1e-7 (decayNear is e^-x to 2e-9, an
// error that builds up over a few samples), the quantiles to 1e-5
// (float32, an error of 6e-8 a step).
func TestObserveMatchesReference(t *testing.T) {
	const decay = float64(10 * time.Second)
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var st deploymentStats
		var ref refStats
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		paths := map[string]int{}
		for k := range 400 {
			gaps := []time.Duration{time.Microsecond, time.Millisecond, 100 * time.Millisecond, time.Second, 30 * time.Second}
			now = now.Add(gaps[rng.IntN(len(gaps))])
			start := now.Add(-time.Duration(rng.IntN(3000)) * time.Millisecond) // attempts overlap
			dur := time.Duration(1+rng.IntN(2000)) * time.Millisecond
			out := rng.IntN(400)
			var ttft time.Duration
			failed := false
			switch r := rng.IntN(10); {
			case r < 5: // a whole answer
				paths["whole"]++
			case r < 7: // a stream
				ttft = time.Duration(1+rng.IntN(int(dur/time.Millisecond))) * time.Millisecond
				paths["stream"]++
			case r < 9:
				failed = true
				paths["failed"]++
			default: // a hedge that lost
				st.observeLatency(start, dur, out, decay)
				if out > 0 {
					ref.perToken.observe(float64(dur)/float64(out), start.UnixNano()+int64(dur), decay)
				}
				paths["hedge"]++
				continue
			}
			st.observe(start, dur, ttft, out, failed, decay)
			ref.observe(start, dur, ttft, out, failed, decay)

			for _, c := range []struct {
				name      string
				got, want float64
				rel       float64
			}{
				{"perToken.peak", loadFloat(&st.perToken.peak), ref.perToken.peak, 1e-7},
				{"ttft.peak", loadFloat(&st.ttft.peak), ref.ttft.peak, 1e-7},
				{"errRate", loadFloat(&st.errRate), ref.errRate, 1e-7},
				{"tput", loadFloat(&st.tput), ref.tput, 1e-7},
				{"perToken.p90", func() float64 { _, p := st.perToken.estimate(0, decay); return p }(), ref.perToken.p90, 1e-5},
				{"ttft.p90", func() float64 { _, p := st.ttft.estimate(0, decay); return p }(), ref.ttft.p90, 1e-5},
				{"AnswerP95", st.hedgeP95(false), ref.wholeP95, 1e-5},
				{"TTFTP95", st.hedgeP95(true), ref.ttftP95, 1e-5},
				{"at", float64(st.at.Load()), float64(ref.at), 0},
				{"failedAt", float64(st.failedAt.Load()), float64(ref.failedAt), 0},
				{"perToken.at", float64(st.perToken.at.Load()), float64(ref.perToken.at), 0},
				{"ttft.at", float64(st.ttft.at.Load()), float64(ref.ttft.at), 0},
			} {
				if !near(c.got, c.want, c.rel) {
					t.Fatalf("seed %d, attempt %d: %s = %v, reference %v", seed, k, c.name, c.got, c.want)
				}
			}
		}
		for _, p := range []string{"whole", "stream", "failed", "hedge"} {
			if paths[p] == 0 {
				t.Fatalf("seed %d: no %s attempt", seed, p)
			}
		}
	}
}

// TestDecayNear checks the Padé approximant against math.Exp over its
// whole range.
func TestDecayNear(t *testing.T) {
	for i := 0; i <= 10000; i++ {
		x := decayNearMax * float64(i) / 10001
		if got, want := decayNear(x), math.Exp(-x); math.Abs(got-want) > 2e-9 {
			t.Fatalf("decayNear(%v) = %v, want %v", x, got, want)
		}
	}
}

// TestQuantilesPacked: the two running quantiles of a series share a word;
// moving one never moves the other, and the p90-only update of a hedge's
// sample leaves the p95 alone.
func TestQuantilesPacked(t *testing.T) {
	var s series
	s.moveQuantiles(100, 5000)
	if _, p90 := s.estimate(0, 1); p90 != 100 || s.p95() != 5000 {
		t.Fatalf("first samples: p90 %v, p95 %v; want 100, 5000", p90, s.p95())
	}
	s.moveQuantiles(200, 1000) // p90 up 4.5%, p95 down 0.25%
	if _, p90 := s.estimate(0, 1); !near(p90, 104.5, 1e-7) || !near(s.p95(), 4987.5, 1e-7) {
		t.Fatalf("after a step: p90 %v, p95 %v; want 104.5, 4987.5", p90, s.p95())
	}
	s.observe(1, 1, 1) // p90 down 0.5%, p95 untouched
	if _, p90 := s.estimate(0, 1); !near(p90, 104.5*0.995, 1e-7) || !near(s.p95(), 4987.5, 1e-7) {
		t.Fatalf("after a p90-only step: p90 %v, p95 %v; want %v, 4987.5", p90, s.p95(), 104.5*0.995)
	}
}

// TestObserveConcurrent runs observe from several goroutines (for -race),
// and checks that no quantile step is lost to a race: every
// compare-and-swap retries, so 1,000 samples above the 90th percentile and
// below the 95th move them exactly as 1,000 sequential steps do.
func TestObserveConcurrent(t *testing.T) {
	var st deploymentStats
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var q, want series
	q.moveQuantiles(1, 1e6)
	want.moveQuantiles(1, 1e6)
	for range 1000 {
		want.moveQuantiles(1e30, 0)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				q.moveQuantiles(1e30, 0)
				at := start.Add(time.Duration(i*4+g) * time.Millisecond)
				st.observe(at, 100*time.Millisecond, 0, 10, false, float64(DefaultStatsDecay))
				if i%10 == 0 {
					st.observe(at, time.Second, 50*time.Millisecond, 10, i%20 == 0, float64(DefaultStatsDecay))
				}
			}
		}()
	}
	wg.Wait()
	if got, want := q.q.Load(), want.q.Load(); got != want {
		t.Fatalf("quantiles after concurrent steps: %x, want %x", got, want)
	}
	if peak, _ := st.perToken.estimate(0, 1); peak != float64(10*time.Millisecond) {
		t.Fatalf("perToken peak = %v, want 10ms", time.Duration(peak))
	}
	if e := loadFloat(&st.errRate); e <= 0 || e >= 1 {
		t.Fatalf("error rate = %v, want in (0, 1)", e)
	}
}
