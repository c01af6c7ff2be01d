package replay

import (
	"html/template"
	"io"
	"strconv"
	"strings"
)

// WriteHTML writes the report as one self-contained HTML page: the tables
// of WriteText, and an inline SVG chart of the cost and of the requests
// refused by policies, recorded against replayed. The page loads nothing:
// no script, no stylesheet, no font, no image from elsewhere.
func (r *Report) WriteHTML(w io.Writer) error {
	return page.Execute(w, htmlView{Report: r, Chart: r.chart(), Policies: r.policyRows()})
}

type htmlView struct {
	*Report
	Chart    chart
	Policies []policyRow
}

// chart is the SVG bar chart, laid out in Go so the template only draws.
type chart struct {
	Width, Height int
	Groups        []barGroup
}

type barGroup struct {
	Title  string
	TitleX int
	Bars   []bar
}

type bar struct {
	X, Y, W, H int
	Label      string // under the bar
	Value      string // above it
	LabelX     int
	Class      string // "old" or "new"
}

// Chart geometry, in SVG user units.
const (
	chartWidth, chartHeight = 560, 260
	plotTop, plotBottom     = 40, 210 // bars grow up from plotBottom
	barWidth, barGap        = 70, 20
	groupWidth              = 280
)

func (r *Report) chart() chart {
	c := chart{Width: chartWidth, Height: chartHeight}
	groups := []struct {
		title    string
		old, now float64
		format   func(float64) string
	}{
		{"Cost (USD)", r.Cost.Old, r.Cost.New, func(v float64) string { return "$" + strconv.FormatFloat(v, 'f', 4, 64) }},
		{"Refused by policies", float64(r.OldRefused), float64(r.Refused), func(v float64) string { return strconv.Itoa(int(v)) }},
	}
	for i, g := range groups {
		left := i*groupWidth + (groupWidth-2*barWidth-barGap)/2
		top := max(g.old, g.now)
		bg := barGroup{Title: g.title, TitleX: i*groupWidth + groupWidth/2}
		for j, v := range []float64{g.old, g.now} {
			h := 0
			if top > 0 {
				h = int(float64(plotBottom-plotTop) * v / top)
			}
			x := left + j*(barWidth+barGap)
			b := bar{X: x, Y: plotBottom - h, W: barWidth, H: h, Value: g.format(v), LabelX: x + barWidth/2, Label: "recorded", Class: "old"}
			if j == 1 {
				b.Label, b.Class = "replayed", "new"
			}
			bg.Bars = append(bg.Bars, b)
		}
		c.Groups = append(c.Groups, bg)
	}
	return c
}

var page = template.Must(template.New("replay").Funcs(template.FuncMap{
	"usd":    usd,
	"change": change,
	"ms":     ms,
	"join":   strings.Join,
	"yesno":  yesno,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Replay{{with .Label}}: {{.}}{{end}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1a202c; max-width: 60em; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; }
th, td { padding: .25em .8em; border-bottom: 1px solid #e2e8f0; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg text { font: 12px system-ui, sans-serif; fill: #1a202c; }
svg .title { font-weight: bold; }
.old { fill: #a0aec0; } .new { fill: #2b6cb0; }
</style>
</head>
<body>
<h1>Replay of {{.Records}} records{{with .Label}} under “{{.}}”{{end}}</h1>
<p>{{.Replayed}} replayed.{{range .NotReplayed}} Not replayed: {{.Requests}}, {{.Name}}.{{end}}
{{- with .RecordedUnder}} Recorded under configuration versions:{{range $i, $c := .}}{{if $i}},{{end}} {{$c.Name}} ({{$c.Requests}}){{end}}.{{end}}</p>

<svg width="{{.Chart.Width}}" height="{{.Chart.Height}}" viewBox="0 0 {{.Chart.Width}} {{.Chart.Height}}" role="img" aria-label="Cost and refusals, recorded and replayed">
{{- range .Chart.Groups}}
<text class="title" x="{{.TitleX}}" y="20" text-anchor="middle">{{.Title}}</text>
{{- range .Bars}}
<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Label}}: {{.Value}}</title></rect>
<text x="{{.LabelX}}" y="{{.Y}}" dy="-4" text-anchor="middle">{{.Value}}</text>
<text x="{{.LabelX}}" y="228" text-anchor="middle">{{.Label}}</text>
{{- end}}
{{- end}}
</svg>

<h2>First choice</h2>
<table>
<tr><th></th><th>requests</th></tr>
<tr><td>unchanged</td><td class="n">{{.Same}}</td></tr>
<tr><td>moved</td><td class="n">{{.Moved}}</td></tr>
<tr><td>refused by policies ({{.NewlyRefused}} newly)</td><td class="n">{{.Refused}}</td></tr>
<tr><td>newly allowed</td><td class="n">{{.NewlyAllowed}}</td></tr>
<tr><td>no deployment available</td><td class="n">{{.Unavailable}}</td></tr>
</table>
{{- if .Moves}}

<h2>Moved</h2>
<table>
<tr><th>from</th><th>to</th><th>requests</th><th>examples</th></tr>
{{- range .Moves}}
<tr><td>{{.From}}</td><td>{{.To}}</td><td class="n">{{.Requests}}</td><td>{{join .Examples " "}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Policies}}

<h2>Refused by policy</h2>
<table>
<tr><th>policy</th><th>recorded</th><th>replayed</th><th>examples</th></tr>
{{- range .Policies}}
<tr><td>{{.Name}}</td><td class="n">{{.Old}}</td><td class="n">{{.Now}}</td><td>{{join .Examples " "}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .UnavailableBy}}

<h2>No deployment available</h2>
<table>
<tr><th>reason</th><th>replayed</th><th>examples</th></tr>
{{- range .UnavailableBy}}
<tr><td>{{.Name}}</td><td class="n">{{.Requests}}</td><td>{{join .Examples " "}}</td></tr>
{{- end}}
</table>
{{- end}}

<h2>Cost (USD)</h2>
<table>
<tr><th></th><th>recorded</th><th>replayed</th><th>change</th></tr>
<tr><td>total</td><td class="n">{{usd .Cost.Old}}</td><td class="n">{{usd .Cost.New}}</td><td class="n">{{change .Cost.Old .Cost.New}}</td></tr>
{{- if .Cost.Dropped}}
<tr><td>of requests now refused or unplaced</td><td class="n">{{usd .Cost.Dropped}}</td><td class="n">-</td><td></td></tr>
{{- end}}
</table>
{{- if .Cost.Unpriced}}
<p>{{.Cost.Unpriced}} requests served under the configuration have no recorded usage (not priced).</p>
{{- end}}

<h2>Deployments</h2>
<table>
<tr><th>deployment</th><th>in config</th><th>recorded</th><th>replayed</th><th>attempts</th><th>errors</th><th>p50</th><th>p90</th></tr>
{{- range .Deployments}}
<tr><td>{{.Name}}</td><td>{{yesno .InConfig}}</td><td class="n">{{.OldRequests}}</td><td class="n">{{.NewRequests}}</td><td class="n">{{.Attempts}}</td><td class="n">{{.Errors}}</td><td class="n">{{ms .P50}}</td><td class="n">{{ms .P90}}</td></tr>
{{- end}}
</table>
<p>Recorded and replayed count each request once, at its first choice; latency is of the recorded successful attempts (nearest-rank percentiles).</p>
</body>
</html>
`))
