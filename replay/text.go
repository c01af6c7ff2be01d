package replay

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// WriteText writes the report as terminal tables: what happened to the
// requests' first choices, the moves, the refusals by policy (recorded and
// replayed), the cost, and each deployment's share and recorded latency.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	label := ""
	if r.Label != "" {
		label = " under " + strconv.Quote(r.Label)
	}
	fmt.Fprintf(&b, "Replayed %d of %d records%s.\n", r.Replayed, r.Records, printable(label))
	for _, c := range r.NotReplayed {
		fmt.Fprintf(&b, "Not replayed: %d, %s.\n", c.Requests, printable(c.Name))
	}
	if len(r.RecordedUnder) > 0 {
		var vs []string
		for _, c := range r.RecordedUnder {
			vs = append(vs, printable(c.Name)+" ("+itoa(c.Requests)+")")
		}
		fmt.Fprintf(&b, "Recorded under configuration versions: %s.\n", strings.Join(vs, ", "))
	}

	t := table{{"First choice", "requests"},
		{"unchanged", itoa(r.Same)},
		{"moved", itoa(r.Moved)},
		{"refused by policies", itoa(r.Refused), "(" + itoa(r.NewlyRefused) + " newly)"},
		{"newly allowed", itoa(r.NewlyAllowed)},
		{"no deployment available", itoa(r.Unavailable)}}
	t.write(&b)

	if len(r.Moves) > 0 {
		t := table{{"Moved from", "to", "requests", "examples"}}
		for _, m := range r.Moves {
			t = append(t, []string{m.From, m.To, itoa(m.Requests), strings.Join(m.Examples, " ")})
		}
		t.write(&b)
	}

	if rows := r.policyRows(); len(rows) > 0 {
		t := table{{"Refused by policy", "recorded", "replayed", "examples"}}
		for _, row := range rows {
			t = append(t, []string{row.Name, itoa(row.Old), itoa(row.Now), strings.Join(row.Examples, " ")})
		}
		t.write(&b)
	}
	if len(r.UnavailableBy) > 0 {
		t := table{{"No deployment available", "replayed", "examples"}}
		for _, c := range r.UnavailableBy {
			t = append(t, []string{c.Name, itoa(c.Requests), strings.Join(c.Examples, " ")})
		}
		t.write(&b)
	}

	t = table{{"Cost (USD)", "recorded", "replayed", "change"},
		{"total", usd(r.Cost.Old), usd(r.Cost.New), change(r.Cost.Old, r.Cost.New)}}
	if r.Cost.Dropped != 0 {
		t = append(t, []string{"of requests now refused or unplaced", usd(r.Cost.Dropped), "-"})
	}
	t.write(&b)
	if r.Cost.Unpriced > 0 {
		fmt.Fprintf(&b, "%d requests served under the configuration have no recorded usage (not priced).\n", r.Cost.Unpriced)
	}

	t = table{{"Deployment", "in config", "recorded", "replayed", "attempts", "errors", "p50", "p90"}}
	for _, d := range r.Deployments {
		t = append(t, []string{d.Name, yesno(d.InConfig), itoa(d.OldRequests), itoa(d.NewRequests), itoa(d.Attempts), itoa(d.Errors), ms(d.P50), ms(d.P90)})
	}
	t.write(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// table is rows of cells; the first row is the header. write puts a blank
// line before it and indents the first column under the header; a column
// whose first value is a number (or "-") is right-aligned, others left.
type table [][]string

func (t table) write(b *strings.Builder) {
	for _, row := range t {
		for i, cell := range row {
			row[i] = printable(cell)
		}
	}
	var width []int
	right := map[int]bool{}
	for r, row := range t {
		for i, cell := range row {
			n := utf8.RuneCountInString(cell)
			if i == 0 && r > 0 {
				n += 2
			}
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], n)
			if r == 1 && i > 0 && cell != "" && strings.ContainsRune("0123456789+-", rune(cell[0])) {
				right[i] = true
			}
		}
	}
	b.WriteByte('\n')
	for r, row := range t {
		var line strings.Builder
		for i, cell := range row {
			if i == 0 && r > 0 {
				cell = "  " + cell
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(cell))
			if i > 0 {
				line.WriteString("  ")
			}
			if right[i] {
				line.WriteString(pad + cell)
			} else {
				line.WriteString(cell + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}

// printable replaces the control characters of s (a request id, a
// reason from the log) so that the log cannot drive the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return utf8.RuneError
		}
		return r
	}, s)
}

func yesno(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func itoa(n int) string { return strconv.Itoa(n) }

func usd(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

// change formats new - old, with the relative change when old is not zero.
func change(old, now float64) string {
	s := fmt.Sprintf("%+.6f", now-old)
	if old != 0 {
		s += fmt.Sprintf(" (%+.1f%%)", 100*(now-old)/old)
	}
	return s
}

// ms formats a recorded latency; "-" without any.
func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.Round(time.Millisecond).String()
}

type policyRow struct {
	Name     string
	Old, Now int
	Examples []string
}

// policyRows joins RefusedBy and OldRefusedBy by policy: the replayed
// refusals' order, then policies that refused only when recorded.
func (r *Report) policyRows() []policyRow {
	var rows []policyRow
	at := map[string]int{}
	for _, c := range r.RefusedBy {
		at[c.Name] = len(rows)
		rows = append(rows, policyRow{Name: c.Name, Now: c.Requests, Examples: c.Examples})
	}
	for _, c := range r.OldRefusedBy {
		if i, ok := at[c.Name]; ok {
			rows[i].Old = c.Requests
		} else {
			rows = append(rows, policyRow{Name: c.Name, Old: c.Requests})
		}
	}
	return rows
}
