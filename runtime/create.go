package runtime

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/checkpoint"
	"github.com/minilink/minilink/rootfs"
)

// CreateOptions are the flags of `create` and `run` that shape a container.
type CreateOptions struct {
	Name        string
	Image       string
	Cmd         []string // the arguments after IMAGE
	Entrypoint  *string  // --entrypoint; nil when not given, "" clears the image's
	Env         []string // -e, in order
	Hostname    string
	WorkingDir  string
	User        string
	Expose      []string
	Network     string // --net
	Tty         bool
	Interactive bool
	AutoRemove  bool
	Links       []string // --link values as typed, in order
	Publish     []string // -p values as typed
	PublishAll  bool     // -P
	// The cgroup limits: Memory is -m in bytes (0: none); NanoCPUs is --cpus in billionths of a
	// CPU and PidsLimit is --pids-limit, both nil when not given.
	Memory    int64
	NanoCPUs  *int64
	PidsLimit *int64
	// Warn receives warnings that do not stop the create (a duplicate --link alias).
	Warn func(string) `json:"-"`

	warnings []string
}

// createCheck is one validation step of create. Steps run in order and the first failure wins,
// before anything is written (the model is runc's configs/validate).
type createCheck func(r *Runtime, all []*Container, o *CreateOptions, c *Container) error

var createChecks = []createCheck{
	checkLinks,
	checkName,
	checkNetwork,
	checkImage,
	checkCommand,
	checkExpose,
	checkPublish,
	checkMemory,
	checkCPUs,
	checkPidsLimit,
	checkSeccomp,
}

// Create validates the options and writes a new container record in the "created" state. Nothing
// is written when a check fails.
func (r *Runtime) Create(o CreateOptions) (*Container, error) {
	unlock, err := r.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	all, err := r.currentLocked()
	if err != nil {
		return nil, err
	}
	return r.createLocked(all, o, false)
}

// createLocked is Create on all, the current containers (currentLocked). `run` creates and starts
// under one hold of the lock and on one listing of the containers: with hundreds of containers the
// listing is most of the cost of either step. starting writes the record as launchLocked's first
// step would (a crash before the start ends is then undone as any crashed start is, back to
// "created").
//
// Preconditions: the lock is held.
func (r *Runtime) createLocked(all []*Container, o CreateOptions, starting bool) (*Container, error) {
	c := &Container{
		ID:         NewID(),
		Created:    time.Now().UTC(),
		Image:      o.Image,
		HostConfig: HostConfig{AutoRemove: o.AutoRemove},
		State:      State{Status: StatusCreated, Starting: starting},
	}
	checkpoint.Reached("create: listed")
	for _, check := range createChecks {
		if err := check(r, all, &o, c); err != nil {
			return nil, err
		}
	}
	if c.Name == "" {
		c.Name = RandomName(func(n string) bool { return byName(all, n) != nil })
	}
	if err := os.Mkdir(r.containerDir(c.ID), 0o711); err != nil {
		return nil, fmt.Errorf("create container directory: %w", err)
	}
	checkpoint.Reached("create: directory made")
	if err := r.save(c); err != nil {
		_ = os.RemoveAll(r.containerDir(c.ID))
		return nil, err
	}
	r.indexName(c.Name, c.ID)
	for _, w := range o.warnings {
		if o.Warn != nil {
			o.Warn(w)
		}
	}
	checkpoint.Reached("created")
	return c, nil
}

func checkName(_ *Runtime, all []*Container, o *CreateOptions, c *Container) error {
	if o.Name == "" {
		return nil
	}
	name := trimSlash(o.Name)
	if err := ValidateName(name); err != nil {
		return err
	}
	if other := byName(all, name); other != nil {
		return nameConflict(name, other.ID)
	}
	c.Name = name
	return nil
}

func checkNetwork(r *Runtime, all []*Container, o *CreateOptions, c *Container) error {
	mode := o.Network
	switch {
	case mode == "" || mode == "bridge" || mode == "default":
		c.HostConfig.NetworkMode = "bridge"
		// Unreadable settings would fail the start and then the removal of run --rm; fail here,
		// before anything is written.
		if _, err := bridge.LoadSettings(r.Root); err != nil {
			return err
		}
	case mode == "none" || mode == "host":
		c.HostConfig.NetworkMode = mode
	case strings.HasPrefix(mode, "container:"):
		target := strings.TrimPrefix(mode, "container:")
		if target == "" {
			return userError(ErrInvalidArgument, "invalid container format container:<name|id>")
		}
		owner, err := resolve(all, target)
		if err != nil {
			return err
		}
		c.HostConfig.NetworkMode = "container:" + owner.ID
	default:
		return userError(ErrInvalidArgument, "network %s not found", mode)
	}
	if o.Hostname != "" && strings.HasPrefix(c.HostConfig.NetworkMode, "container:") {
		return userError(ErrInvalidArgument, "conflicting options: hostname and the network mode")
	}
	if err := ValidateHostname(o.Hostname); err != nil {
		return err
	}
	return nil
}

func checkImage(r *Runtime, _ []*Container, o *CreateOptions, c *Container) error {
	if err := ValidateEnv(o.Env); err != nil {
		return err
	}
	if o.Image == "" {
		return userError(ErrInvalidArgument, "no image given")
	}
	img, err := r.Images.Lookup(o.Image)
	if errors.Is(err, rootfs.ErrNoSuchImage) {
		return userError(ErrInvalidArgument, "Unable to find image '%s' locally (build the built-in images with scripts/images.sh, or minilink import)", o.Image)
	}
	if err != nil {
		return err
	}
	c.ImageID = img.ID
	ic := img.Config
	c.Config = Config{
		Hostname:   o.Hostname,
		User:       ic.User,
		Env:        ConfigEnv(o.Env, ic.Env, os.LookupEnv),
		Entrypoint: ic.Entrypoint,
		Cmd:        ic.Cmd,
		WorkingDir: ic.WorkingDir,
		Tty:        o.Tty,
		OpenStdin:  o.Interactive,
		Image:      o.Image,
	}
	for _, e := range c.Config.Env {
		if strings.ContainsAny(e, "\n\x00") {
			return userError(ErrInvalidArgument, "invalid environment variable: %q", e)
		}
	}
	if c.Config.Hostname == "" {
		c.Config.Hostname = ShortID(c.ID)
	}
	if o.User != "" {
		c.Config.User = o.User
	}
	if o.WorkingDir != "" {
		if !strings.HasPrefix(o.WorkingDir, "/") {
			return userError(ErrInvalidArgument, "the working directory '%s' is invalid, it needs to be an absolute path", o.WorkingDir)
		}
		c.Config.WorkingDir = o.WorkingDir
	}
	if len(ic.ExposedPorts) > 0 {
		c.Config.ExposedPorts = map[string]struct{}{}
		for p := range ic.ExposedPorts {
			c.Config.ExposedPorts[p] = struct{}{}
		}
	}
	return nil
}

// checkCommand applies Docker's rule: --entrypoint replaces the image's entrypoint and drops the
// image's CMD; arguments after the image replace CMD.
func checkCommand(_ *Runtime, _ []*Container, o *CreateOptions, c *Container) error {
	if o.Entrypoint != nil {
		c.Config.Entrypoint = nil
		if *o.Entrypoint != "" {
			c.Config.Entrypoint = []string{*o.Entrypoint}
		}
		c.Config.Cmd = nil
	}
	if len(o.Cmd) > 0 {
		c.Config.Cmd = o.Cmd
	}
	argv := append(append([]string{}, c.Config.Entrypoint...), c.Config.Cmd...)
	if len(argv) == 0 {
		return userError(ErrInvalidArgument, "No command specified")
	}
	c.Path, c.Args = argv[0], argv[1:]
	return nil
}

func checkExpose(_ *Runtime, _ []*Container, o *CreateOptions, c *Container) error {
	for _, v := range o.Expose {
		keys, err := ParseExpose(v)
		if err != nil {
			return err
		}
		if c.Config.ExposedPorts == nil {
			c.Config.ExposedPorts = map[string]struct{}{}
		}
		for _, k := range keys {
			c.Config.ExposedPorts[k] = struct{}{}
		}
	}
	return nil
}

// checkPublish parses -p and -P. A published container port is exposed too, so links see it.
func checkPublish(_ *Runtime, all []*Container, o *CreateOptions, c *Container) error {
	c.HostConfig.PublishAllPorts = o.PublishAll
	for _, v := range o.Publish {
		pubs, err := bridge.ParsePublish(v)
		if err != nil {
			return userError(ErrInvalidArgument, "%s", err)
		}
		for _, p := range pubs {
			if c.Config.ExposedPorts == nil {
				c.Config.ExposedPorts = map[string]struct{}{}
			}
			c.Config.ExposedPorts[p.Key()] = struct{}{}
			c.HostConfig.Publish = append(c.HostConfig.Publish, p)
		}
	}
	// An explicit host port already taken fails here, before anything is made, rather than at
	// start with a container left behind. Start checks again: the port may go meanwhile.
	var taken []bridge.Binding
	for _, other := range all {
		if other.State.Running() {
			taken = append(taken, other.Network.Ports...)
		}
	}
	var explicit []bridge.Publish
	for _, p := range c.HostConfig.Publish {
		if p.HostPort != 0 {
			explicit = append(explicit, p)
		}
	}
	if _, err := bridge.AllocatePorts(explicit, taken, hostPortFree); err != nil {
		return userError(ErrInvalidArgument, "%s", err)
	}
	if len(c.HostConfig.Publish) > 0 || o.PublishAll {
		switch mode := c.HostConfig.NetworkMode; {
		case strings.HasPrefix(mode, "container:"):
			return userError(ErrInvalidArgument, "conflicting options: port publishing and the container type network mode")
		case mode == "host" && o.Warn != nil:
			o.Warn("WARNING: Published ports are discarded when using host network mode")
		}
	}
	return nil
}
