package replay

import (
	"cmp"
	"errors"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/llmrouter/llmrouter"
)

// Replayer re-plans recorded requests under one configuration and sums up
// what would change. Build one with New, Add every record of the log, then
// read the Report. It sends nothing: each record is planned with
// Router.PlanRecord on a router built from the configuration and never
// called. A Replayer is not safe for concurrent use.
type Replayer struct {
	router *llmrouter.Router
	prices map[string]llmrouter.Price
	order  map[string]int // deployment -> position in the configuration
	rep    Report
	deps   map[string]*deploymentAcc
	moves  map[[2]string]*Move
	// The counts behind the report's lists of the same names.
	notReplayed, refusedBy, oldRefusedBy, unavailableBy, versions counter
}

// deploymentAcc gathers one deployment's figures as records are added.
type deploymentAcc struct {
	Deployment
	durations []time.Duration // of its successful attempts
}

// New builds a Replayer for cfg: a router is built from it (with opts
// after WithConfig: WithTokenEstimates, say, if the service sets one) and
// the new prices are cfg's. Every provider cfg's deployments name must be
// in cfg.Providers: register the real ones, or stand-ins (StandIns). A
// configuration New refuses is returned as its *llmrouter.ConfigError.
func New(cfg *llmrouter.Config, opts ...llmrouter.Option) (*Replayer, error) {
	router, err := llmrouter.New(append([]llmrouter.Option{llmrouter.WithConfig(cfg)}, opts...)...)
	if err != nil {
		return nil, err
	}
	r := &Replayer{router: router, prices: map[string]llmrouter.Price{}, order: map[string]int{},
		deps: map[string]*deploymentAcc{}, moves: map[[2]string]*Move{},
		notReplayed: counter{}, refusedBy: counter{}, oldRefusedBy: counter{}, unavailableBy: counter{}, versions: counter{}}
	r.rep.Label = cfg.Label
	for i, d := range cfg.Deployments {
		r.prices[d.Name], r.order[d.Name] = d.Price, i
		r.dep(d.Name)
	}
	return r, nil
}

// Report is what a replay found. Requests are counted by their first
// choice: the deployment a route sends a request to first. For a record
// that is the first tier holding a deployment the policies allowed, and in
// it the deployment first attempted (else the first in tier order); under
// the new configuration, the first tier holding an eligible deployment, and
// in it the recorded first choice if it is there (the route's strategy
// could pick it), else the first in tier order. A deployment that was
// unavailable when recorded (breaker open, cooling down) still counts as
// the recorded first choice, so a replay under an unchanged configuration
// changes nothing.
type Report struct {
	// Label is the replayed configuration's label.
	Label string
	// RecordedUnder counts the records by the configuration version they
	// were served under (Record.ConfigVersion), when they name one.
	RecordedUnder []Count
	// Records counts the records added; Replayed, those planned again.
	// NotReplayed counts the others by reason: invalid when recorded, or
	// naming a route the configuration does not have.
	Records, Replayed int
	NotReplayed       []Count
	// Same and Moved count the requests both configurations serve, with
	// the same first choice or another (Moves lists them by old and new
	// first choice).
	Same, Moved int
	Moves       []Move
	// Refused counts the requests the configuration's policies refuse
	// (every candidate refused: ErrPolicyDenied), NewlyRefused those of
	// them that were not refused when recorded, and RefusedBy counts them
	// by policy: a request whose candidates two policies refused counts
	// under both. OldRefused and OldRefusedBy are the same for the records.
	Refused, NewlyRefused int
	RefusedBy             []Count
	OldRefused            int
	OldRefusedBy          []Count
	// NewlyAllowed counts the requests refused by policies when recorded
	// that the configuration serves.
	NewlyAllowed int
	// Unavailable counts the requests the policies allow but that no
	// deployment could take, however idle (a TPM limit smaller than the
	// request, say), by reason in UnavailableBy. Breakers, cooldowns and
	// limit counters are not replayed: they start fresh.
	Unavailable   int
	UnavailableBy []Count
	Cost          Cost
	// Deployments lists the configuration's deployments in its order, then
	// the deployments only the records name, by name.
	Deployments []Deployment
}

// Count is a number of requests for one reason, policy or route, with
// the ids of the first few (at most three) as examples.
type Count struct {
	Name     string
	Requests int
	Examples []string
}

// Move is the requests whose first choice moves from one deployment to
// another.
type Move struct {
	From, To string
	Requests int
	Examples []string
}

// Cost compares what the replayed requests cost when recorded with what
// their recorded token counts cost at the new first choices' prices. A
// request that failed over is priced whole at its new first choice.
type Cost struct {
	// Old is the recorded cost of the replayed requests, in US dollars.
	Old float64
	// New is their recorded usage at the new first choices' prices; the
	// requests the configuration refuses or cannot place add nothing.
	New float64
	// Dropped is the recorded cost of the requests the configuration
	// refuses or cannot place: part of Old, none of New.
	Dropped float64
	// Unpriced counts the requests the configuration serves whose record
	// has no usage (refused by policies or quotas, canceled, or failed
	// before any token when recorded): they add nothing to New.
	Unpriced int
}

// Deployment is one deployment's share of the requests, before and after,
// and its latency as recorded.
type Deployment struct {
	Name string
	// InConfig is true when the replayed configuration has the deployment.
	InConfig bool
	// OldRequests and NewRequests count the replayed requests it is the
	// first choice of, as recorded and under the configuration.
	OldRequests, NewRequests int
	// Attempts and Errors count its recorded attempts (of every record,
	// replayed or not) and the failed ones (a hedge that lost the race,
	// llmrouter.HedgeLost, is an attempt but no error).
	Attempts, Errors int
	// P50 and P90 are the median and 90th percentile (nearest rank) of
	// the durations of its successful attempts; zero without any.
	P50, P90 time.Duration
}

// Run replays every record of a decision log (one JSON record a line, as
// JSONLSink writes) under cfg, as New and Add do. A record it cannot read
// stops it with a *LineError.
func Run(log io.Reader, cfg *llmrouter.Config, opts ...llmrouter.Option) (*Report, error) {
	r, err := New(cfg, opts...)
	if err != nil {
		return nil, err
	}
	d := NewDecoder(log)
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			return r.Report(), nil
		}
		if err != nil {
			return nil, err
		}
		r.Add(rec)
	}
}

// Add replays one record; a nil one is ignored.
func (r *Replayer) Add(rec *llmrouter.Record) {
	if rec == nil {
		return
	}
	rep := &r.rep
	rep.Records++
	if rec.ConfigVersion != "" {
		r.versions.add(rec.ConfigVersion, rec.RequestID)
	}
	for _, a := range rec.Attempts {
		d := r.dep(a.Deployment)
		d.Attempts++
		switch {
		case a.Status == "ok":
			d.durations = append(d.durations, a.Duration)
		case a.Code != llmrouter.HedgeLost: // stopped because the other attempt won: no failure of its own
			d.Errors++
		}
	}
	if rec.Outcome == llmrouter.OutcomeInvalid || rec.Route == "" {
		r.notReplayed.add("invalid when recorded", rec.RequestID)
		return
	}
	plan, err := r.router.PlanRecord(rec)
	if err != nil {
		reason := err.Error()
		var re *llmrouter.RequestError
		if errors.As(err, &re) && re.Field == "Record.Route" {
			reason = "route " + strconv.Quote(rec.Route) + " not in the configuration"
		}
		r.notReplayed.add(reason, rec.RequestID)
		return
	}
	rep.Replayed++
	rep.Cost.Old += rec.Cost
	old := firstChoice(rec.Candidates, allowed, firstAttempt(rec))
	if old == "" {
		rep.OldRefused++
		r.oldRefusedBy.addPolicies(rec.Candidates, rec.RequestID)
	} else {
		r.dep(old).OldRequests++
	}
	now := firstChoice(plan.Candidates, eligible, old)
	switch {
	case now != "":
		r.dep(now).NewRequests++
		if rec.Usage == (llmrouter.Usage{}) {
			rep.Cost.Unpriced++
		}
		rep.Cost.New += r.prices[now].Cost(rec.Usage)
		switch old {
		case "":
			rep.NewlyAllowed++
		case now:
			rep.Same++
		default:
			rep.Moved++
			m := r.moves[[2]string{old, now}]
			if m == nil {
				m = &Move{From: old, To: now}
				r.moves[[2]string{old, now}] = m
			}
			m.Requests++
			m.Examples = example(m.Examples, rec.RequestID)
		}
	case allRefused(plan.Candidates):
		rep.Refused++
		if old != "" {
			rep.NewlyRefused++
		}
		rep.Cost.Dropped += rec.Cost
		r.refusedBy.addPolicies(plan.Candidates, rec.RequestID)
	default:
		rep.Unavailable++
		rep.Cost.Dropped += rec.Cost
		for _, c := range plan.Candidates {
			if c.Status == llmrouter.CandidateSkipped {
				r.unavailableBy.add(c.Reason, rec.RequestID)
				break
			}
		}
	}
}

// Report returns the figures of the records added so far.
func (r *Replayer) Report() *Report {
	rep := r.rep
	rep.NotReplayed, rep.RefusedBy = r.notReplayed.sorted(), r.refusedBy.sorted()
	rep.OldRefusedBy, rep.UnavailableBy = r.oldRefusedBy.sorted(), r.unavailableBy.sorted()
	rep.RecordedUnder = r.versions.sorted()
	rep.Moves = nil
	for _, m := range r.moves {
		rep.Moves = append(rep.Moves, Move{From: m.From, To: m.To, Requests: m.Requests, Examples: slices.Clone(m.Examples)})
	}
	slices.SortFunc(rep.Moves, func(a, b Move) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	rep.Deployments = nil
	for _, d := range r.deps {
		out := d.Deployment
		if n := len(d.durations); n > 0 {
			ds := slices.Clone(d.durations)
			slices.Sort(ds)
			out.P50, out.P90 = nearestRank(ds, 50), nearestRank(ds, 90)
		}
		rep.Deployments = append(rep.Deployments, out)
	}
	slices.SortFunc(rep.Deployments, func(a, b Deployment) int {
		ia, okA := r.order[a.Name]
		ib, okB := r.order[b.Name]
		switch {
		case okA && okB:
			return cmp.Compare(ia, ib)
		case okA != okB:
			if okA {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return &rep
}

// nearestRank returns the p-th percentile of sorted durations by the
// nearest-rank method: the smallest value at least p% of them do not
// exceed.
func nearestRank(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	return sorted[max(rank, 1)-1]
}

func (r *Replayer) dep(name string) *deploymentAcc {
	d := r.deps[name]
	if d == nil {
		_, in := r.order[name]
		d = &deploymentAcc{Deployment: Deployment{Name: name, InConfig: in}}
		r.deps[name] = d
	}
	return d
}

// counter counts requests by name.
type counter map[string]*Count

// add counts a request under name.
func (c counter) add(name, id string) {
	e := c[name]
	if e == nil {
		e = &Count{Name: name}
		c[name] = e
	}
	e.Requests++
	e.Examples = example(e.Examples, id)
}

// addPolicies counts a request under every policy that refused one of
// its candidates.
func (c counter) addPolicies(cands []llmrouter.CandidateRecord, id string) {
	var seen []string
	for _, cr := range cands {
		if cr.Status == llmrouter.CandidateRefused && !slices.Contains(seen, cr.Policy) {
			seen = append(seen, cr.Policy)
			c.add(cr.Policy, id)
		}
	}
}

// sorted returns the counts, most requests first, then by name.
func (c counter) sorted() []Count {
	var out []Count
	for _, e := range c {
		out = append(out, Count{Name: e.Name, Requests: e.Requests, Examples: slices.Clone(e.Examples)})
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Name, b.Name)) })
	return out
}

// maxExamples is how many request ids a Count or Move keeps.
const maxExamples = 3

func example(ids []string, id string) []string {
	if len(ids) < maxExamples && id != "" {
		ids = append(ids, id)
	}
	return ids
}

// firstAttempt returns the deployment of rec's first attempt, if any.
func firstAttempt(rec *llmrouter.Record) string {
	if len(rec.Attempts) == 0 {
		return ""
	}
	return rec.Attempts[0].Deployment
}

// allowed qualifies a recorded candidate the policies did not refuse
// (chosen, tried, unused, or unavailable at the time); eligible, a
// planned one that would be tried.
func allowed(s llmrouter.CandidateStatus) bool  { return s != llmrouter.CandidateRefused }
func eligible(s llmrouter.CandidateStatus) bool { return s == llmrouter.CandidateEligible }

// firstChoice returns the first choice among cands (see Report): in the
// first tier holding a candidate whose status qualifies, prefer if it
// qualifies there, else the first that does.
func firstChoice(cands []llmrouter.CandidateRecord, qualifies func(llmrouter.CandidateStatus) bool, prefer string) string {
	first, tier := "", -1
	for _, c := range cands {
		if !qualifies(c.Status) {
			continue
		}
		switch {
		case tier < 0:
			first, tier = c.Deployment, c.Tier
		case c.Tier != tier:
			return first
		}
		if c.Deployment == prefer {
			return prefer
		}
	}
	return first
}

func allRefused(cands []llmrouter.CandidateRecord) bool {
	for _, c := range cands {
		if c.Status != llmrouter.CandidateRefused {
			return false
		}
	}
	return true
}
