package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/minilink/minilink/rootfs"
	"github.com/minilink/minilink/runtime"
)

// errInterrupted ends a pull or load cut short by Ctrl-C.
var errInterrupted = errors.New("interrupted: nothing was kept")

// pullFlags are the flags of pull, shared with run and create (which pull a missing image).
type pullFlags struct {
	insecure bool
	platform string
}

func (f *pullFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.insecure, "insecure", false, "allow plain HTTP to the registry (always allowed on loopback)")
	cmd.Flags().StringVar(&f.platform, "platform", "", "the platform to pull from a multi-arch image, os/arch[/variant] (default: this machine's)")
}

func newPullCommand(g *globals) *cobra.Command {
	f := &pullFlags{}
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Long: `Download an image from a registry (Docker Hub unless the name starts with a registry host),
with credentials from ~/.docker/config.json. Every layer is verified against its digest, unpacked
once below the state root and shared by every image and container that uses it.`,
		Example: `  minilink pull redis
  minilink pull localhost:5000/trainingwheels:1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			return pull(rt, args[0], f, os.Stdout, true)
		},
	}
	f.add(cmd)
	return cmd
}

// pull runs a pull with Docker's output on out: the header lines, the layers' progress (redrawn
// in place on a terminal, one line per change otherwise), then the Digest and Status lines and
// the full reference. Ctrl-C cancels it, and the store keeps nothing of it. Like Docker, only the
// pull command itself says "Using default tag".
func pull(rt *runtime.Runtime, ref string, f *pullFlags, out *os.File, sayDefaultTag bool) error {
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("invalid reference format: %s", ref)
	}
	tagOrDigest := parsed.Identifier()
	if _, isTag := parsed.(name.Tag); sayDefaultTag && isTag && !strings.Contains(lastPathElement(ref), ":") {
		fmt.Fprintln(out, "Using default tag: latest")
	}
	fmt.Fprintf(out, "%s: Pulling from %s\n", tagOrDigest, parsed.Context().RepositoryStr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	display := newProgressDisplay(out, isTerminal(out))
	var res rootfs.PullResult
	err = rt.WithLock(func() (err error) {
		res, err = rt.Images.Pull(ctx, ref, rootfs.PullOptions{Insecure: f.insecure, Platform: f.platform, Progress: display.update})
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	fmt.Fprintf(out, "Digest: %s\n", res.Digest)
	shown := res.Tag
	if shown == "" {
		shown = ref
	}
	if res.UpToDate {
		fmt.Fprintf(out, "Status: Image is up to date for %s\n", shown)
	} else {
		fmt.Fprintf(out, "Status: Downloaded newer image for %s\n", shown)
	}
	fmt.Fprintln(out, res.Reference)
	return nil
}

func lastPathElement(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// progressDisplay shows one line per layer, as Docker's pull does.
type progressDisplay struct {
	out      io.Writer
	terminal bool
	order    []string
	lines    map[string]string
	last     map[string]string // the status last printed per layer (plain mode)
}

func newProgressDisplay(out io.Writer, terminal bool) *progressDisplay {
	return &progressDisplay{out: out, terminal: terminal, lines: map[string]string{}, last: map[string]string{}}
}

func (p *progressDisplay) update(e rootfs.ProgressEvent) {
	if e.ID == "" {
		fmt.Fprintln(p.out, e.Status)
		return
	}
	line := e.ID + ": " + e.Status
	if e.Total > 0 && (e.Status == "Downloading" || e.Status == "Extracting") {
		line += " " + progressBar(e.Current, e.Total) + " " + humanSize(e.Current) + "/" + humanSize(e.Total)
	}
	_, known := p.lines[e.ID]
	if !known {
		p.order = append(p.order, e.ID)
	}
	p.lines[e.ID] = line
	if !p.terminal {
		// Plain output: a line when the status changes, not for every chunk of bytes.
		if p.last[e.ID] != e.Status {
			p.last[e.ID] = e.Status
			fmt.Fprintln(p.out, e.ID+": "+e.Status)
		}
		return
	}
	if !known {
		fmt.Fprintln(p.out, line)
		return
	}
	// Move up to the layer's line, rewrite it, and come back down.
	up := len(p.order) - slices.Index(p.order, e.ID)
	fmt.Fprintf(p.out, "\x1b[%dA\r\x1b[2K%s\x1b[%dB\r", up, line, up)
}

// progressBar is Docker's [=====>     ] bar, 50 characters wide.
func progressBar(current, total int64) string {
	const width = 50
	n := int(float64(width) * float64(current) / float64(total))
	if n > width {
		n = width
	}
	bar := strings.Repeat("=", n)
	if n < width {
		bar += ">" + strings.Repeat(" ", width-n-1)
	}
	return "[" + bar + "]"
}

func newLoadCommand(g *globals) *cobra.Command {
	var input string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load images from a docker save archive or an OCI image layout (tar)",
		Long: `Load images from a tar archive, plain or gzip: a "docker save" archive or an OCI image layout.
Reads standard input unless -i names a file. Every layer is verified against its digest.`,
		Example: `  minilink load -i redis.tar
  docker save redis | ssh vm sudo minilink load`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = os.Stdin
			if input != "" {
				f, err := os.Open(input)
				if err != nil {
					return fmt.Errorf("open %s: %w", input, err)
				}
				defer f.Close()
				in = f
			} else if isTerminal(os.Stdin) {
				return errors.New("requested load from stdin, but stdin is empty: use -i FILE or a redirection")
			}
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var lines []string
			err = rt.WithLock(func() (err error) {
				lines, err = rt.Images.Load(ctx, in)
				return err
			})
			if err != nil {
				if ctx.Err() != nil {
					return errInterrupted
				}
				return err
			}
			if !quiet {
				for _, l := range lines {
					fmt.Println(l)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "read from this tar archive instead of standard input")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing")
	return cmd
}

func newSaveCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Write images to a tar archive (docker save format), to carry them to another machine",
		Example: `  minilink save -o redis.tar redis
  minilink save busybox redis | ssh offline-vm sudo minilink load`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out io.Writer = os.Stdout
			var file *os.File
			if output != "" {
				f, err := os.CreateTemp(filepath.Dir(output), ".minilink-save-*")
				if err != nil {
					return fmt.Errorf("create %s: %w", output, err)
				}
				defer os.Remove(f.Name()) // no-op once renamed
				file, out = f, f
			} else if isTerminal(os.Stdout) {
				return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			if err := rt.Images.Save(out, args); err != nil {
				return err
			}
			if file != nil {
				if err := file.Close(); err != nil {
					return fmt.Errorf("write %s: %w", output, err)
				}
				// The archive appears whole or not at all.
				if err := os.Rename(file.Name(), output); err != nil {
					return fmt.Errorf("write %s: %w", output, err)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	return cmd
}
