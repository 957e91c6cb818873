package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"
	"unicode/utf8"
)

// humanDuration says how long ago something happened the way Docker's ps and images do
// ("Less than a second", "About a minute", "3 hours", "2 weeks").
func humanDuration(d time.Duration) string {
	seconds := int(d.Seconds())
	switch {
	case seconds < 1:
		return "Less than a second"
	case seconds == 1:
		return "1 second"
	case seconds < 60:
		return fmt.Sprintf("%d seconds", seconds)
	}
	minutes := int(d.Minutes())
	switch {
	case minutes == 1:
		return "About a minute"
	case minutes < 60:
		return fmt.Sprintf("%d minutes", minutes)
	}
	hours := int(d.Hours() + 0.5)
	switch {
	case hours == 1:
		return "About an hour"
	case hours < 48:
		return fmt.Sprintf("%d hours", hours)
	case hours < 24*7*2:
		return fmt.Sprintf("%d days", hours/24)
	case hours < 24*30*2:
		return fmt.Sprintf("%d weeks", hours/24/7)
	case hours < 24*365*2:
		return fmt.Sprintf("%d months", hours/24/30)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}

// ellipsis shortens s to max runes, ending in "…" when cut.
func ellipsis(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// humanSize is Docker's size format: three significant digits and decimal units ("4.86MB").
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

// templateFuncs are the functions Docker offers in --format templates.
var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimSuffix(b.String(), "\n"), nil
	},
	"join":  strings.Join,
	"split": strings.Split,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"title": func(s string) string {
		words := strings.Fields(s)
		for i, w := range words {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
		return strings.Join(words, " ")
	},
	"truncate": func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s
	},
	"pad": func(s string, before, after int) string {
		if s == "" {
			return s
		}
		return strings.Repeat(" ", before) + s + strings.Repeat(" ", after)
	},
}

// parseFormat compiles a --format template. Docker users write "table {{.ID}}\t{{.Names}}" for a
// table with headers and "{{.ID}}" for raw lines; the "\t" they type is a real tab.
func parseFormat(format string) (tmpl *template.Template, table bool, err error) {
	format = strings.TrimSpace(format)
	if rest, ok := strings.CutPrefix(format, "table"); ok {
		format, table = strings.TrimLeft(rest, " "), true
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	tmpl, err = template.New("format").Funcs(templateFuncs).Parse(format)
	if err != nil {
		return nil, false, fmt.Errorf("template parsing error: %w", err)
	}
	return tmpl, table, nil
}

// newTable is the tab writer behind every table minilink prints, with Docker's spacing.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, tableMinWidth, 1, tablePadding, ' ', 0)
}

// A table's columns are as wide as their widest cell plus tablePadding, and tableMinWidth at least.
const (
	tableMinWidth = 10
	tablePadding  = 3
)
