package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// getPage fetches http://127.0.0.1:PORT/PATH from the host side, through the published port.
func getPage(t *testing.T, port, path string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + port + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func publishedPort(t *testing.T, name string) string {
	t.Helper()
	out := strings.TrimSpace(mustML(t, "port", name, "5000"))
	return out[strings.LastIndex(out, ":")+1:]
}

// waitPage retries until the app answers at all (it starts in a few milliseconds); it asks /env,
// which counts nothing.
func waitPage(t *testing.T, port string) {
	t.Helper()
	eventually(t, 5*time.Second, func() error {
		if code, body := getPage(t, port, "/env"); code == 0 {
			return fmt.Errorf("no answer: %s", body)
		}
		return nil
	})
}

func TestDemoAppRedWithoutLinkCountsWithLink(t *testing.T) {
	needKernel(t)
	runDetached(t, "-P", "--name", "tw-unlinked", "trainingwheels")
	port := publishedPort(t, "tw-unlinked")
	waitPage(t, port)
	code, body := getPage(t, port, "/")
	if code != 500 || !strings.Contains(body, "Could not reach redis") || !strings.Contains(body, "--link datastore:redis") {
		t.Fatalf("unlinked app: %d\n%s", code, body)
	}
	if code, body := getPage(t, port, "/env"); code != 200 || body != "" {
		t.Fatalf("unlinked /env: %d %q", code, body)
	}

	_, dsIP := datastore(t, "datastore")
	runDetached(t, "-P", "--name", "tw", "--link", "datastore:redis", "trainingwheels")
	port = publishedPort(t, "tw")
	waitPage(t, port)
	for want := 1; want <= 2; want++ {
		code, body := getPage(t, port, "/")
		if code != 200 || !strings.Contains(body, fmt.Sprintf(`<span id="hits">%d</span>`, want)) {
			t.Fatalf("linked app, visit %d: %d\n%s", want, code, body)
		}
	}
	if _, env := getPage(t, port, "/env"); !strings.Contains(env, "REDIS_PORT_6379_TCP_ADDR="+dsIP+"\n") || !strings.Contains(env, "REDIS_NAME=/tw/redis\n") {
		t.Fatalf("linked /env:\n%s", env)
	}

	// redis goes away: red; it comes back (with another address): the app recovers by itself.
	// (redis saves its data on SIGTERM into the container's own layer: the count goes on.)
	mustML(t, "stop", "-t", "1", "datastore")
	if code, _ := getPage(t, port, "/"); code != 500 {
		t.Fatalf("with datastore stopped: %d", code)
	}
	runDetached(t, "--name", "filler", "busybox", "sleep", "1000")
	mustML(t, "start", "datastore")
	eventually(t, 5*time.Second, func() error {
		if code, body := getPage(t, port, "/"); code != 200 || !strings.Contains(body, `<span id="hits">3</span>`) {
			return fmt.Errorf("after datastore came back: %d\n%s", code, body)
		}
		return nil
	})
}
