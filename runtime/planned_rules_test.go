package runtime

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/minilink/minilink/bridge"
)

// plannedRoot is a state root with datastore (redis, exposing 6379/tcp), web linked to it as db,
// and side sharing web's network namespace and linked to datastore too, all "running", and
// icc as given.
func plannedRoot(t *testing.T, icc bool) (*Runtime, map[string]*Container) {
	t.Helper()
	r, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := bridge.SaveSettings(r.Root, bridge.Settings{Bridge: "minilink0", Subnet: "172.17.0.0/16", Gateway: "172.17.0.1", ICC: icc}); err != nil {
		t.Fatal(err)
	}
	running := State{Status: StatusRunning, Pid: 1}
	cs := map[string]*Container{
		"datastore": {Name: "datastore", Config: Config{ExposedPorts: map[string]struct{}{"6379/tcp": {}}},
			HostConfig: HostConfig{NetworkMode: "bridge"}, Network: Network{IPAddress: "172.17.0.2"}},
		"web": {Name: "web", HostConfig: HostConfig{NetworkMode: "bridge", Links: []Link{{Child: "datastore", Alias: "db"}}},
			Network: Network{IPAddress: "172.17.0.3"}},
	}
	for i, name := range []string{"datastore", "web"} {
		c := cs[name]
		c.ID = fmt.Sprintf("%064x", i+1)
		c.State = running
	}
	cs["side"] = &Container{ID: fmt.Sprintf("%064x", 3), Name: "side", State: running,
		HostConfig: HostConfig{NetworkMode: "container:" + cs["web"].ID, Links: []Link{{Child: "datastore", Alias: "db"}}}}
	for _, c := range cs {
		if err := os.Mkdir(r.containerDir(c.ID), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := r.save(c); err != nil {
			t.Fatal(err)
		}
		r.indexName(c.Name, c.ID)
	}
	return r, cs
}

func ruleStrings(rules []bridge.Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Table+" "+r.String())
	}
	return out
}

// TestPlannedRulesOf: the rules a removal deletes without reading the tables are exactly the
// rules the full sync wants that name the container, with a listing or, for a container that
// exposes no port, with just its link children read by name.
func TestPlannedRulesOf(t *testing.T) {
	r, cs := plannedRoot(t, false)
	all, err := r.list()
	if err != nil {
		t.Fatal(err)
	}
	web := byName(all, "web")
	want := []string{
		"filter -A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379 -j ACCEPT",
		"filter -A MINILINK -s 172.17.0.2/32 -d 172.17.0.3/32 -i minilink0 -o minilink0 -p tcp -m tcp --sport 6379 -j ACCEPT",
	}
	for _, tt := range []struct {
		name string
		all  []*Container
	}{{"with the listing", all}, {"children read by name", nil}} {
		got, ok := r.plannedRulesOf(tt.all, web)
		if !ok || !slices.Equal(ruleStrings(got), want) {
			t.Errorf("%s: planned %q (ok %v), want %q", tt.name, ruleStrings(got), ok, want)
		}
	}
	// datastore exposes 6379: its parents are known only from every record.
	if got, ok := r.plannedRulesOf(all, byName(all, "datastore")); !ok || !slices.Equal(ruleStrings(got), want) {
		t.Errorf("datastore with the listing: planned %q (ok %v), want %q", ruleStrings(got), ok, want)
	}
	if _, ok := r.plannedRulesOf(nil, cs["datastore"]); ok {
		t.Error("datastore without a listing: ok, want not plannable")
	}
	// A child the index does not know sends the removal to the tables.
	if err := os.Remove(r.nameIndexDir() + "/datastore"); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.plannedRulesOf(nil, web); ok {
		t.Error("web with datastore missing from the index: ok, want not plannable")
	}
}

func TestPlannedRulesOfUnderICC(t *testing.T) {
	r, _ := plannedRoot(t, true)
	all, err := r.list()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range [][]*Container{all, nil} {
		if got, ok := r.plannedRulesOf(a, byName(all, "web")); !ok || len(got) != 0 {
			t.Errorf("icc=true: planned %q (ok %v), want none", ruleStrings(got), ok)
		}
	}
}
