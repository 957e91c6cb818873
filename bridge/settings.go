package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/minilink/minilink/atomicfile"
)

// DefaultName is the default bridge device.
const DefaultName = "minilink0"

// settingsFile is the name of the settings file inside the root.
const settingsFile = "network.json"

// Settings are the persisted settings of the bridge network (<root>/network.json).
type Settings struct {
	Bridge  string `json:"bridge"`  // device name, "minilink0"
	Subnet  string `json:"subnet"`  // CIDR, "172.17.0.0/16"
	Gateway string `json:"gateway"` // first address of Subnet, "172.17.0.1"
	ICC     bool   `json:"icc"`     // inter-container communication; true by default
}

// Network parses s and returns its subnet (in network form, e.g. 172.17.0.0/16 even when Subnet was
// written as 172.17.0.5/16) and its gateway. An empty Gateway is derived as the subnet's first
// address. It fails unless the subnet is IPv4 with room for a gateway and a container, and the
// gateway is a host address inside it.
func (s Settings) Network() (*net.IPNet, net.IP, error) {
	ip, subnet, err := net.ParseCIDR(s.Subnet)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid subnet %q: %w", s.Subnet, err)
	}
	if ip.To4() == nil {
		return nil, nil, fmt.Errorf("invalid subnet %q: not IPv4", s.Subnet)
	}
	subnet.IP = subnet.IP.To4()
	// A /31 or /32 leaves no address besides the gateway, so no container could ever start.
	if ones, _ := subnet.Mask.Size(); ones > 30 {
		return nil, nil, fmt.Errorf("invalid subnet %q: too small, the prefix must be /30 or shorter", s.Subnet)
	}
	if s.Gateway == "" {
		return subnet, offset(subnet.IP, 1), nil
	}
	gw := net.ParseIP(s.Gateway).To4()
	if gw == nil {
		return nil, nil, fmt.Errorf("invalid gateway %q: not an IPv4 address", s.Gateway)
	}
	if !subnet.Contains(gw) || gw.Equal(subnet.IP) || gw.Equal(broadcast(subnet)) {
		return nil, nil, fmt.Errorf("invalid gateway %s: not a host address of subnet %s", gw, subnet)
	}
	return subnet, gw, nil
}

// normalize fills in the derived fields so that what is persisted and what the kernel gets agree.
func (s Settings) normalize() (Settings, error) {
	if s.Bridge == "" {
		s.Bridge = DefaultName
	}
	subnet, gw, err := s.Network()
	if err != nil {
		return s, err
	}
	s.Subnet = subnet.String()
	s.Gateway = gw.String()
	return s, nil
}

// LoadSettings reads <root>/network.json. When it does not exist yet, it chooses the subnet (the first
// of 172.17.0.0/16 … 172.31.0.0/16 that overlaps no route or interface address of the host, the
// bridge itself excluded), persists the new settings and returns them. Missing fields of an existing
// file get their defaults: bridge minilink0, the gateway derived from the subnet, icc true.
func LoadSettings(root string) (Settings, error) {
	path := filepath.Join(root, settingsFile)
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Settings{}, fmt.Errorf("read network settings: %w", err)
	}
	if err == nil {
		return decodeSettings(root, path, data)
	}
	s := Settings{Bridge: DefaultName, ICC: true}
	if err := s.chooseSubnet(); err != nil {
		return Settings{}, err
	}
	if err := SaveSettings(root, s); err != nil {
		return Settings{}, err
	}
	return s.normalize()
}

// decodeSettings parses an existing settings file. A file without a subnet (hand-written, say) gets
// one chosen and is saved again, so that the choice stays stable from then on.
func decodeSettings(root, path string, data []byte) (Settings, error) {
	// ICC is decoded through a pointer so that a missing key means the default (true), not false.
	var raw struct {
		Settings
		ICC *bool `json:"icc"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Settings{}, fmt.Errorf("corrupted network settings %s: %w (remove the file to get the defaults back, then 'minilink network set' to change them)", path, err)
	}
	s := raw.Settings
	s.ICC = raw.ICC == nil || *raw.ICC
	if s.Bridge == "" {
		s.Bridge = DefaultName
	}
	if s.Subnet == "" {
		s.Gateway = ""
		if err := s.chooseSubnet(); err != nil {
			return Settings{}, err
		}
		if err := SaveSettings(root, s); err != nil {
			return Settings{}, err
		}
	}
	n, err := s.normalize()
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// chooseSubnet sets s.Subnet and s.Gateway from the host's current routes and addresses.
func (s *Settings) chooseSubnet() error {
	inUse, err := hostNetworks(s.Bridge)
	if err != nil {
		return fmt.Errorf("choose subnet: %w", err)
	}
	subnet, err := ChooseSubnet(inUse)
	if err != nil {
		return err
	}
	s.Subnet = subnet.String()
	s.Gateway = offset(subnet.IP, 1).String()
	return nil
}

// SaveSettings writes <root>/network.json atomically (a temporary file renamed over it, mode 0644),
// after filling in the defaults (bridge name, derived gateway). Invalid settings are refused.
func SaveSettings(root string, s Settings) error {
	s, err := s.normalize()
	if err != nil {
		return fmt.Errorf("save network settings: %w", err)
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode network settings: %w", err)
	}
	data = append(data, '\n')
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("save network settings: %w", err)
	}
	return atomicfile.Write(filepath.Join(root, settingsFile), data, 0o644)
}
