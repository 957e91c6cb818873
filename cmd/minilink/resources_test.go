package main

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "512", want: 512},
		{in: "512b", want: 512},
		{in: "6m", want: 6 << 20},
		{in: "16M", want: 16 << 20},
		{in: "16MiB", want: 16 << 20},
		{in: "16 mb", want: 16 << 20},
		{in: "1k", want: 1024},
		{in: "1.5g", want: 3 << 29},
		{in: "2G", want: 2 << 30},
		{in: "abc", wantErr: "invalid size: 'abc'"},
		{in: "", wantErr: "invalid size: ''"},
		{in: "-1", wantErr: "invalid size: '-1'"},
		{in: "1x", wantErr: "invalid size: '1x'"},
		{in: "1.2.3m", wantErr: "invalid size: '1.2.3m'"},
		{in: "99999999p", wantErr: "invalid size: '99999999p'"},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("parseSize(%q) = %d, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseCPUs(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{in: "0.5", want: 5e8},
		{in: "1", want: 1e9},
		{in: "1.25", want: 125e7},
		{in: "0.01", want: 1e7},
		{in: "0", want: 0},
		{in: "3/2", want: 15e8}, // big.Rat takes fractions too, as Docker's parser does
		{in: "x", wantErr: "failed to parse x as a rational number"},
		{in: "0.0000000001", wantErr: "value is too precise"},
		{in: "99999999999", wantErr: "value is too large"},
	}
	for _, tt := range tests {
		got, err := parseCPUs(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("parseCPUs(%q) = %d, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseCPUs(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	half := nanoCPUs(5e8)
	if s := half.String(); s != "0.500" {
		t.Errorf("String of 0.5 CPU = %q", s)
	}
}
