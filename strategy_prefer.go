package llmrouter

import "time"

// Preferences are soft requirements on a deployment's statistics: Prefer
// picks among the candidates that meet them, and among all candidates when
// none does. A preference never refuses a request. Zero fields state no
// preference; a candidate not measured yet meets every preference (it has
// to be tried to be known).
type Preferences struct {
	// MaxTTFT prefers, for streams, candidates whose 90th-percentile time
	// to first visible chunk (Candidate.LatencyP90) is at most this.
	MaxTTFT time.Duration
	// MaxTimePerToken prefers, for whole answers, candidates whose
	// 90th-percentile duration per output token is at most this.
	MaxTimePerToken time.Duration
	// MinThroughput prefers candidates generating at least this many
	// output tokens per second (Candidate.Throughput).
	MinThroughput float64
}

// Prefer returns a Strategy that narrows each pick to the candidates
// meeting p, then lets then choose among them (nil: LeastLatency). When no
// candidate, or every candidate, meets p, then chooses among all. Use it as
// a Route's Strategy to set preferences per route:
//
//	Strategy: llmrouter.Prefer(llmrouter.Preferences{MaxTTFT: 800 * time.Millisecond}, llmrouter.LeastLatency)
//
// then sees the qualifying candidates first in cands, in their order, and
// must not keep cands (as every Strategy). Routes of more than 64
// candidates in a tier skip the preference.
func Prefer(p Preferences, then Strategy) Strategy {
	if then == nil {
		then = LeastLatency
	}
	return prefer{p: p, then: then}
}

type prefer struct {
	p    Preferences
	then Strategy
}

// meets reports whether c meets the preferences.
func (p *prefer) meets(c *Candidate, stream bool) bool {
	if max := p.p.MaxTTFT; max > 0 && stream {
		if l := c.LatencyP90(); l > max {
			return false
		}
	}
	if max := p.p.MaxTimePerToken; max > 0 && !stream {
		if l := c.LatencyP90(); l > max {
			return false
		}
	}
	if min := p.p.MinThroughput; min > 0 {
		if t := c.Throughput(); t > 0 && t < min {
			return false
		}
	}
	return true
}

func (p prefer) Pick(req *Request, cands []Candidate) int {
	n := len(cands)
	if n == 1 || n > 64 {
		return p.then.Pick(req, cands)
	}
	stream := cands[0].c != nil && cands[0].c.stream
	// Move the qualifying candidates to the front by swaps, remembered so
	// that the order the router relies on is restored (no allocation: the
	// candidates are the router's, reordered in place).
	var swaps [64]uint8
	k := 0
	for i := range cands {
		if p.meets(&cands[i], stream) {
			cands[i], cands[k] = cands[k], cands[i]
			swaps[k] = uint8(i)
			k++
		}
	}
	j := 0
	if k == 0 || k == n {
		j = p.then.Pick(req, cands)
	} else {
		j = p.then.Pick(req, cands[:k])
		if j < 0 || j >= k {
			j = 0
		}
	}
	for s := k - 1; s >= 0; s-- {
		i := int(swaps[s])
		cands[i], cands[s] = cands[s], cands[i]
		switch j {
		case s:
			j = i
		case i:
			j = s
		}
	}
	return j
}

// strategy is the Strategy that picks for the request: the route's, under
// the request's own preferences when it has any (which costs those
// requests one allocation).
func (c *call) strategy() Strategy {
	if p := c.req.Prefer; p != nil {
		return &prefer{p: *p, then: c.rt.strategy}
	}
	return c.rt.strategy
}
