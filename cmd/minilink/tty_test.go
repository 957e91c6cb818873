package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"
)

// terminalSession runs minilink on a real pseudo-terminal, as a user at a terminal would.
type terminalSession struct {
	t      *testing.T
	master console.Console
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer
}

func startOnTerminal(t *testing.T, args ...string) *terminalSession {
	t.Helper()
	master, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	_ = master.Resize(console.WinSize{Height: 40, Width: 100})
	slave, err := os.OpenFile(slavePath, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	cmd := exec.Command(binary, append([]string{"--root", testRoot}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &terminalSession{t: t, master: master, cmd: cmd}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		master.Close()
	})
	return s
}

func (s *terminalSession) send(keys string) {
	if _, err := s.master.Write([]byte(keys)); err != nil {
		s.t.Fatal(err)
	}
}

// expect waits until the screen shows want.
func (s *terminalSession) expect(want string) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		got := s.out.String()
		s.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.Fatalf("terminal never showed %q; it shows:\n%q", want, s.out.String())
}

func (s *terminalSession) exitCode() int {
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(10 * time.Second):
		s.t.Fatal("minilink did not exit")
		return -1
	}
}

func TestInteractiveShell(t *testing.T) {
	needKernel(t)
	s := startOnTerminal(t, "run", "--rm", "-ti", "busybox", "sh")
	s.expect("/ # ")
	s.send("echo $((6*7)); tty; stty size\n")
	s.expect("42\r\n/dev/pts/0\r\n40 100\r\n")
	// Job control: a background job, then Ctrl-C interrupts only the foreground command.
	s.send("sleep 60 &\n")
	s.send("jobs\n")
	s.expect("[1]+  Running")
	s.send("sleep 60\n")
	time.Sleep(300 * time.Millisecond)
	s.send("\x03")
	s.send("echo status=$?\n")
	s.expect("status=130")
	s.send("kill %1; true\n")
	s.send("\x04") // Ctrl-D ends the shell, and so the container
	if code := s.exitCode(); code != 0 {
		t.Fatalf("exit code %d after Ctrl-D", code)
	}
	if out := mustML(t, "ps", "-aq"); out != "" {
		t.Fatalf("--rm container left: %q", out)
	}
}

func TestExecInteractiveShell(t *testing.T) {
	needKernel(t)
	id := runDetached(t, "--name", "tty-web", "busybox", "sleep", "1000")
	s := startOnTerminal(t, "exec", "-ti", "tty-web", "sh")
	s.expect("/ # ")
	s.send("hostname; echo $TERM\n")
	s.expect(id[:12] + "\r\nxterm\r\n")
	s.send("exit 3\n")
	if code := s.exitCode(); code != 3 {
		t.Fatalf("exec exit code %d", code)
	}
}

func TestDetachedTerminalLogs(t *testing.T) {
	needKernel(t)
	runDetached(t, "-t", "--name", "tty-log", "busybox", "sh", "-c", "tty; echo done")
	eventually(t, 5*time.Second, func() error {
		if r := ml(t, "logs", "tty-log"); r.stdout != "/dev/pts/0\r\ndone\r\n" {
			return &logsMismatch{r.stdout}
		}
		return nil
	})
}

type logsMismatch struct{ got string }

func (e *logsMismatch) Error() string { return "logs show " + e.got }
