package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/spf13/cobra"

	"github.com/minilink/minilink/linker"
	"github.com/minilink/minilink/rootfs"
	"github.com/minilink/minilink/runtime"
)

// containerJSON is `inspect` of a container, with Docker's keys.
type containerJSON struct {
	ID              string              `json:"Id"`
	Created         time.Time           `json:"Created"`
	Path            string              `json:"Path"`
	Args            []string            `json:"Args"`
	State           stateJSON           `json:"State"`
	Image           string              `json:"Image"`
	ResolvConfPath  string              `json:"ResolvConfPath"`
	HostnamePath    string              `json:"HostnamePath"`
	HostsPath       string              `json:"HostsPath"`
	LogPath         string              `json:"LogPath"`
	Name            string              `json:"Name"`
	RestartCount    int                 `json:"RestartCount"`
	Driver          string              `json:"Driver"`
	Platform        string              `json:"Platform"`
	HostConfig      hostConfigJSON      `json:"HostConfig"`
	Config          runtime.Config      `json:"Config"`
	NetworkSettings networkSettingsJSON `json:"NetworkSettings"`
}

type stateJSON struct {
	Status     string    `json:"Status"`
	Running    bool      `json:"Running"`
	Paused     bool      `json:"Paused"`
	Restarting bool      `json:"Restarting"`
	OOMKilled  bool      `json:"OOMKilled"`
	Dead       bool      `json:"Dead"`
	Pid        int       `json:"Pid"`
	ExitCode   int       `json:"ExitCode"`
	Error      string    `json:"Error"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
}

type hostConfigJSON struct {
	NetworkMode     string                   `json:"NetworkMode"`
	AutoRemove      bool                     `json:"AutoRemove"`
	Links           []string                 `json:"Links"` // null when there are none, as Docker prints it
	PortBindings    map[string][]portBinding `json:"PortBindings"`
	PublishAllPorts bool                     `json:"PublishAllPorts"`
	Memory          int64                    `json:"Memory"`
	NanoCpus        int64                    `json:"NanoCpus"`
	PidsLimit       *int64                   `json:"PidsLimit"` // null when unlimited, as Docker prints it
}

type portBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

type networkSettingsJSON struct {
	Bridge      string                         `json:"Bridge"`
	Ports       map[string][]portBinding       `json:"Ports"`
	Gateway     string                         `json:"Gateway"`
	IPAddress   string                         `json:"IPAddress"`
	IPPrefixLen int                            `json:"IPPrefixLen"`
	MacAddress  string                         `json:"MacAddress"`
	Networks    map[string]endpointNetworkJSON `json:"Networks"`
}

type endpointNetworkJSON struct {
	Gateway     string `json:"Gateway"`
	IPAddress   string `json:"IPAddress"`
	IPPrefixLen int    `json:"IPPrefixLen"`
	MacAddress  string `json:"MacAddress"`
}

func inspectContainer(rt *runtime.Runtime, c *runtime.Container) containerJSON {
	var links []string
	for _, l := range c.HostConfig.Links {
		links = append(links, linker.InspectEntry(l.Child, c.Name, l.Alias))
	}
	dir := filepath.Join(rt.Root, "containers", c.ID)
	ports := map[string][]portBinding{}
	if c.State.Running() {
		for p := range c.Config.ExposedPorts {
			ports[p] = nil
		}
		for _, b := range c.Network.Ports {
			ports[b.Key()] = append(ports[b.Key()], portBinding{HostIP: b.HostIP, HostPort: strconv.Itoa(b.HostPort)})
		}
	}
	bindings := map[string][]portBinding{}
	for _, p := range c.HostConfig.Publish {
		hp := ""
		if p.HostPort != 0 {
			hp = strconv.Itoa(p.HostPort)
		}
		bindings[p.Key()] = append(bindings[p.Key()], portBinding{HostIP: p.HostIP, HostPort: hp})
	}
	endpoint := endpointNetworkJSON{
		Gateway:     c.Network.Gateway,
		IPAddress:   c.Network.IPAddress,
		IPPrefixLen: c.Network.IPPrefixLen,
		MacAddress:  c.Network.MacAddress,
	}
	networks := map[string]endpointNetworkJSON{}
	if name := networkName(c.HostConfig.NetworkMode); name != "" {
		networks[name] = endpoint
	}
	return containerJSON{
		ID:      c.ID,
		Created: c.Created,
		Path:    c.Path,
		Args:    nonNil(c.Args),
		State: stateJSON{
			Status:     c.State.Status,
			Running:    c.State.Running(),
			OOMKilled:  c.State.OOMKilled,
			Pid:        c.State.Pid,
			ExitCode:   c.State.ExitCode,
			Error:      c.State.Error,
			StartedAt:  c.State.StartedAt,
			FinishedAt: c.State.FinishedAt,
		},
		Image:          c.ImageID,
		ResolvConfPath: filepath.Join(dir, "resolv.conf"),
		HostnamePath:   filepath.Join(dir, "hostname"),
		HostsPath:      filepath.Join(dir, "hosts"),
		LogPath:        filepath.Join(dir, c.ID+"-json.log"),
		Name:           "/" + c.Name,
		Driver:         "overlay",
		Platform:       "linux",
		HostConfig: hostConfigJSON{
			NetworkMode:     c.HostConfig.NetworkMode,
			AutoRemove:      c.HostConfig.AutoRemove,
			Links:           links,
			PortBindings:    bindings,
			PublishAllPorts: c.HostConfig.PublishAllPorts,
			Memory:          c.HostConfig.Memory,
			NanoCpus:        c.HostConfig.NanoCPUs,
			PidsLimit:       c.HostConfig.PidsLimit,
		},
		Config: c.Config,
		NetworkSettings: networkSettingsJSON{
			Ports:       ports,
			Gateway:     endpoint.Gateway,
			IPAddress:   endpoint.IPAddress,
			IPPrefixLen: endpoint.IPPrefixLen,
			MacAddress:  endpoint.MacAddress,
			Networks:    networks,
		},
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// imageJSON is `inspect` of an image, with Docker's keys.
type imageJSON struct {
	ID       string    `json:"Id"`
	RepoTags []string  `json:"RepoTags"`
	Created  time.Time `json:"Created"`
	Size     int64     `json:"Size"`
	Config   any       `json:"Config"`
	RootFS   struct {
		Type   string   `json:"Type"`
		Layers []string `json:"Layers"`
	} `json:"RootFS"`
	Architecture string `json:"Architecture"`
	Os           string `json:"Os"`
}

func inspectImage(img *rootfs.Image) imageJSON {
	v := imageJSON{ID: img.ID, RepoTags: nonNil(img.RepoTags), Created: img.Created, Size: img.Size,
		Config: img.Config, Architecture: "amd64", Os: "linux"}
	v.RootFS.Type = "layers"
	v.RootFS.Layers = img.Layers
	return v
}

func newInspectCommand(g *globals) *cobra.Command {
	var format, kind string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Show low-level information on containers or images, as JSON or through a template",
		Example: `  minilink inspect -f '{{.NetworkSettings.IPAddress}}' web
  minilink inspect -f '{{json .Config.Env}}' web`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.tolerantRuntime()
			if err != nil {
				return err
			}
			var views []any
			var missing []string
			for _, arg := range args {
				v, err := inspectOne(rt, arg, kind)
				if err != nil {
					if !errors.Is(err, runtime.ErrNoSuchContainer) && !errors.Is(err, rootfs.ErrNoSuchImage) {
						return err
					}
					missing = append(missing, arg)
					continue
				}
				views = append(views, v)
			}
			if err := printInspect(views, format); err != nil {
				return err
			}
			if len(missing) > 0 {
				//lint:ignore ST1005 Docker's exact text, which users and tests match
				return fmt.Errorf("No such object: %s", strings.Join(missing, ", "))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "format the output with a Go template")
	cmd.Flags().StringVar(&kind, "type", "", "only look for a container or an image")
	return cmd
}

func inspectOne(rt *runtime.Runtime, arg, kind string) (any, error) {
	if kind != "image" {
		c, err := rt.Get(arg)
		if err == nil {
			return inspectContainer(rt, c), nil
		}
		if kind == "container" || !errors.Is(err, runtime.ErrNoSuchContainer) {
			return nil, err
		}
	}
	img, err := rt.Images.Lookup(arg)
	if err != nil {
		return nil, err
	}
	return inspectImage(img), nil
}

// printInspect prints the views as Docker does: an indented JSON array, or one template result per
// line. Templates see the views as generic JSON values, so keys are Docker's ({{.State.Pid}}).
func printInspect(views []any, format string) error {
	if format == "" {
		if views == nil {
			views = []any{}
		}
		b, err := json.MarshalIndent(views, "", "    ")
		if err != nil {
			return err
		}
		fmt.Println(string(b))
		return nil
	}
	tmpl, err := template.New("format").Funcs(templateFuncs).Parse(format)
	if err != nil {
		return fmt.Errorf("template parsing error: %w", err)
	}
	for _, v := range views {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		// json.Number keeps large numbers such as a pid from printing as 1.234567e+06.
		var generic map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&generic); err != nil {
			return err
		}
		if err := tmpl.Execute(os.Stdout, generic); err != nil {
			return fmt.Errorf("template: %w", err)
		}
		fmt.Println()
	}
	return nil
}
