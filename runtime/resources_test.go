package runtime

import (
	"errors"
	"fmt"
	goruntime "runtime"
	"testing"
)

func TestResourceChecks(t *testing.T) {
	ptr := func(n int64) *int64 { return &n }
	ncpu := int64(goruntime.NumCPU())
	cpuRange := fmt.Sprintf("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", ncpu, ncpu)
	tests := []struct {
		name    string
		opts    CreateOptions
		want    HostConfig
		wantErr string
	}{
		{name: "no limits"},
		{name: "memory", opts: CreateOptions{Memory: 16 << 20}, want: HostConfig{Memory: 16 << 20}},
		{name: "memory at the minimum", opts: CreateOptions{Memory: 6 << 20}, want: HostConfig{Memory: 6 << 20}},
		{name: "memory below the minimum", opts: CreateOptions{Memory: 1024}, wantErr: "Minimum memory limit allowed is 6MB"},
		{name: "negative memory", opts: CreateOptions{Memory: -1}, wantErr: "invalid memory limit -1: it cannot be negative"},
		{name: "half a CPU", opts: CreateOptions{NanoCPUs: ptr(5e8)}, want: HostConfig{NanoCPUs: 5e8}},
		{name: "smallest CPU share", opts: CreateOptions{NanoCPUs: ptr(1e7)}, want: HostConfig{NanoCPUs: 1e7}},
		{name: "every CPU", opts: CreateOptions{NanoCPUs: ptr(ncpu * 1e9)}, want: HostConfig{NanoCPUs: ncpu * 1e9}},
		{name: "zero CPUs", opts: CreateOptions{NanoCPUs: ptr(0)}, wantErr: cpuRange},
		{name: "too small a CPU share", opts: CreateOptions{NanoCPUs: ptr(1e6)}, wantErr: cpuRange},
		{name: "more CPUs than the host", opts: CreateOptions{NanoCPUs: ptr(ncpu*1e9 + 1)}, wantErr: cpuRange},
		{name: "negative CPUs", opts: CreateOptions{NanoCPUs: ptr(-1e9)}, wantErr: cpuRange},
		{name: "pids limit", opts: CreateOptions{PidsLimit: ptr(20)}, want: HostConfig{PidsLimit: ptr(20)}},
		{name: "pids limit 0 is unlimited", opts: CreateOptions{PidsLimit: ptr(0)}},
		{name: "pids limit -1 is unlimited", opts: CreateOptions{PidsLimit: ptr(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Container{}
			var err error
			for _, check := range []createCheck{checkMemory, checkCPUs, checkPidsLimit} {
				if err = check(nil, nil, &tt.opts, c); err != nil {
					break
				}
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrInvalidArgument) {
					t.Fatalf("got error %v, want %q (an invalid argument)", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := c.HostConfig
			if got.Memory != tt.want.Memory || got.NanoCPUs != tt.want.NanoCPUs ||
				(got.PidsLimit == nil) != (tt.want.PidsLimit == nil) ||
				(got.PidsLimit != nil && *got.PidsLimit != *tt.want.PidsLimit) {
				t.Fatalf("HostConfig %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestContainerResources(t *testing.T) {
	limit := int64(20)
	res := containerResources(HostConfig{Memory: 16 << 20, NanoCPUs: 5e8, PidsLimit: &limit}, nil)
	if res.Memory != 16<<20 || res.CpuQuota != 50000 || res.CpuPeriod != 100000 || res.PidsLimit == nil || *res.PidsLimit != 20 {
		t.Fatalf("resources %+v", res)
	}
	// Swap is never allowed beyond the memory limit.
	if res.MemorySwap != 0 && res.MemorySwap != res.Memory {
		t.Fatalf("MemorySwap %d with Memory %d", res.MemorySwap, res.Memory)
	}
	none := containerResources(HostConfig{}, nil)
	if none.Memory != 0 || none.MemorySwap != 0 || none.CpuQuota != 0 || none.CpuPeriod != 0 || none.PidsLimit != nil {
		t.Fatalf("no limits gave %+v", none)
	}
	if got := cpuQuota(1e7); got != 1000 {
		t.Fatalf("cpuQuota(0.01 CPU) = %d, want 1000", got)
	}
	if got := cpuQuota(15e8); got != 150000 {
		t.Fatalf("cpuQuota(1.5 CPU) = %d, want 150000", got)
	}
}
