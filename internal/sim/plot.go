package sim

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// plotBucket is the span of arrivals each plotted point summarises.
const plotBucket = 30 * time.Second

var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"}

// WriteSVG plots each result's p90 latency per plotBucket of arrivals over
// the run, one line per strategy, as an SVG image.
func WriteSVG(w io.Writer, title string, results []*Result) error {
	const width, height, left, right, top, bottom = 900, 420, 60, 150, 40, 40
	type series struct {
		name string
		pts  [][2]float64 // seconds, ms
	}
	var all []series
	maxX, maxY := 1.0, 1.0
	for _, r := range results {
		s := series{name: r.Strategy}
		var bucket []time.Duration
		start := time.Duration(0)
		flush := func() {
			if len(bucket) == 0 {
				return
			}
			slices.Sort(bucket)
			x, y := (start + plotBucket/2).Seconds(), ms(quantile(bucket, 0.9))
			s.pts = append(s.pts, [2]float64{x, y})
			maxX, maxY = max(maxX, x), max(maxY, y)
			bucket = bucket[:0]
		}
		for _, p := range r.Timeline {
			for p.At >= start+plotBucket {
				flush()
				start += plotBucket
			}
			bucket = append(bucket, p.Latency)
		}
		flush()
		all = append(all, s)
	}
	maxY = niceCeil(maxY)
	px := func(x float64) float64 { return left + x/maxX*(width-left-right) }
	py := func(y float64) float64 { return height - bottom - y/maxY*(height-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14">%s</text>`+"\n", left, escape(title))
	for i := 0; i <= 4; i++ {
		y := maxY * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%.0f ms</text>`+"\n",
			left, py(y), width-right, py(y), left-5, py(y)+4, y)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">virtual time (s)</text>`+"\n", (width-right+left)/2, height-10)
	for i := 0; i <= 4; i++ {
		x := maxX * float64(i) / 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%.0f</text>`+"\n", px(x), height-bottom+15, x)
	}
	for i, s := range all {
		color := palette[i%len(palette)]
		var pts []string
		for _, p := range s.pts {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p[0]), py(p[1])))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/><text x="%d" y="%d">%s</text>`+"\n",
			width-right+10, top+20*i, width-right+30, top+20*i, color, width-right+35, top+20*i+4, escape(s.name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
