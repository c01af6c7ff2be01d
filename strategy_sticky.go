package llmrouter

import "math"

// Sticky sends requests that share a Request.AffinityKey to the same
// deployment, so that a conversation keeps hitting the prompt cache it
// warmed: consistent hashing with bounded load (Mirrokni, Thorup and
// Zadimoghaddam, 2016) over the tier's usable candidates.
//
// Each candidate gets a score from the key and its name (weighted
// rendezvous hashing: Deployment.Weight scales its share of keys; zero
// counts as 1), and the request goes to the highest-scoring candidate
// whose calls in flight, this one counted, stay within 1.25 × the tier's
// average plus one (the one so that a home with a single call in flight
// keeps its keys when traffic is light). A key therefore moves only when its deployment is unusable
// (breaker open, cooling down, refused by a policy, at a limit, already
// failed for this request) or overloaded, and comes back when it
// recovers; a deployment added to or removed from a tier moves only the
// keys it takes or held. The hash (FNV-1a) is stable across processes, so
// routers in different replicas agree.
//
// Requests without an AffinityKey are picked by LeastLatency.
var Sticky Strategy = sticky{}

// stickyLoad is the bound on a candidate's load, relative to the average.
const stickyLoad = 1.25

type sticky struct{}

func (sticky) Pick(req *Request, cands []Candidate) int {
	if req.AffinityKey == "" {
		return LeastLatency.Pick(req, cands)
	}
	n := len(cands)
	if n == 1 {
		return 0
	}
	var total int64
	for i := range cands {
		total += cands[i].InFlight
	}
	limit := int64(math.Ceil(stickyLoad*float64(total+1)/float64(n))) + 1
	key := hashString(req.AffinityKey)
	best, bestScore := -1, 0.0
	for i := range cands {
		if cands[i].InFlight+1 > limit {
			continue
		}
		if s := rendezvous(key, &cands[i]); best < 0 || s > bestScore {
			best, bestScore = i, s
		}
	}
	if best < 0 { // unreachable: the least loaded is under the bound
		return 0
	}
	return best
}

// rendezvous is candidate c's weighted score for a key hashed to key:
// -weight / ln(u), u uniform in (0, 1) drawn from the key and the name.
func rendezvous(key uint64, c *Candidate) float64 {
	var name uint64
	if d := c.dep(); d != nil {
		name = d.nameHash
	} else {
		name = hashString(c.Deployment.Name)
	}
	u := (float64(mix64(key^name)>>11) + 0.5) / (1 << 53)
	return -weight(c.Deployment) / math.Log(u)
}

// hashString is 64-bit FNV-1a: stable across processes and versions.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix64 is SplitMix64's finaliser: it spreads FNV's weak low bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ (x >> 31)
}
