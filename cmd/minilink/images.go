package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/minilink/minilink/rootfs"
	"github.com/minilink/minilink/runtime"
)

func newImportCommand(g *globals) *cobra.Command {
	var changes []string
	var message string
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] FILE|- [REPOSITORY[:TAG]]",
		Short: "Import a root filesystem tarball as an image",
		Long: `Import a tarball of a root filesystem (plain, gzip or bzip2) as a one-layer image, like
docker import. --change applies Dockerfile instructions to the image config: ENV, EXPOSE, CMD,
ENTRYPOINT, WORKDIR and USER. Prints the new image's ID.`,
		Example: `  tar -C rootfs -c . | minilink import -c 'CMD ["/bin/sh"]' - busybox`,
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := rootfs.ParseChanges(rootfs.Image{}.Config, changes); err != nil {
				return err
			}
			var in io.Reader = os.Stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("open %s: %w", args[0], err)
				}
				defer f.Close()
				in = f
			}
			ref := ""
			if len(args) == 2 {
				ref = args[1]
			}
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			var img *rootfs.Image
			if err := rt.WithLock(func() (err error) {
				img, err = rt.Images.Import(in, ref, changes)
				return err
			}); err != nil {
				return err
			}
			fmt.Println(img.ID)
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&changes, "change", "c", nil, "apply a Dockerfile instruction to the image (repeatable)")
	cmd.Flags().StringVarP(&message, "message", "m", "", "commit message for the imported image")
	return cmd
}

type imageRow struct {
	img     *rootfs.Image
	tag     string
	now     time.Time
	noTrunc bool
}

func (r imageRow) Repository() string {
	if r.tag == "" {
		return "<none>"
	}
	repo, _ := splitTag(r.tag)
	return repo
}
func (r imageRow) Tag() string {
	if _, tag := splitTag(r.tag); tag != "" {
		return tag
	}
	return "<none>"
}

// splitTag splits "NAME:TAG" at the tag's colon, not at a registry's port
// ("localhost:5000/x:1" is repository "localhost:5000/x", tag "1").
func splitTag(ref string) (repo, tag string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, ""
	}
	return ref[:i], ref[i+1:]
}
func (r imageRow) ID() string {
	if r.noTrunc {
		return r.img.ID
	}
	return runtime.ShortID(strings.TrimPrefix(r.img.ID, "sha256:"))
}
func (r imageRow) CreatedSince() string { return humanDuration(r.now.Sub(r.img.Created)) + " ago" }
func (r imageRow) CreatedAt() string {
	return r.img.Created.Local().Format("2006-01-02 15:04:05 -0700 MST")
}
func (r imageRow) Size() string { return humanSize(r.img.Size) }

var imageHeader = map[string]string{
	"Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "CreatedSince": "CREATED",
	"CreatedAt": "CREATED AT", "Size": "SIZE",
}

func newImagesCommand(g *globals) *cobra.Command {
	var quiet, noTrunc bool
	var format string
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.images()
			if err != nil {
				return err
			}
			images, err := store.List()
			if err != nil {
				return err
			}
			now := time.Now()
			var rows []imageRow
			for _, img := range images {
				tags := img.RepoTags
				if len(tags) == 0 {
					tags = []string{""}
				}
				for _, tag := range tags {
					if len(args) == 1 && !matchesRepo(tag, args[0]) {
						continue
					}
					rows = append(rows, imageRow{img: img, tag: tag, now: now, noTrunc: noTrunc})
				}
			}
			if quiet {
				format = "{{.ID}}"
			}
			if format == "" {
				format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
			}
			return printRows(format, rows, imageHeader)
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "only show image IDs")
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	cmd.Flags().StringVar(&format, "format", "", "format the output with a Go template")
	return cmd
}

func matchesRepo(tag, filter string) bool {
	repo, _ := splitTag(tag)
	return tag == filter || repo == filter
}

func newRmiCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			return forEach(args, func(arg string) error {
				img, err := rt.Images.Lookup(arg)
				if err != nil {
					return err
				}
				// Containers run on the image's layers through their overlay mounts: the layers
				// must stay while any container uses the image, even with -f.
				if c, err := rt.ImageInUse(img.ID); err != nil {
					return err
				} else if c != nil && len(img.RepoTags) <= 1 {
					return fmt.Errorf("conflict: unable to remove repository reference %q (must remove container first) - container %s is using its referenced image %s",
						arg, runtime.ShortID(c.ID), runtime.ShortID(strings.TrimPrefix(img.ID, "sha256:")))
				}
				return rt.WithLock(func() error {
					lines, err := rt.Images.Remove(arg, force)
					for _, l := range lines {
						fmt.Println(l)
					}
					return err
				})
			})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove an image referenced by several tags")
	return cmd
}

func newTagCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Give an image another name",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			return rt.WithLock(func() error { return rt.Images.Tag(args[0], args[1]) })
		},
	}
}
