package bridge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Mark names one state of this network namespace's firewall tables: the kernel's nf_tables
// generation, which every committed change to any table moves on, in this namespace (its cookie,
// never reused while the machine runs) and this boot. Two equal marks mean that no rule of any
// table changed in between, so a snapshot taken at one mark still holds at the other.
type Mark struct {
	Boot       string `json:"boot"`
	Netns      uint64 `json:"netns"`
	Generation uint32 `json:"generation"`
}

// nfgenmsg is the header of an nf_tables netlink message (linux/netfilter/nfnetlink.h).
type nfgenmsg struct{}

func (nfgenmsg) Len() int          { return 4 }
func (nfgenmsg) Serialize() []byte { return []byte{unix.AF_UNSPEC, unix.NFNETLINK_V0, 0, 0} }

// CurrentMark asks the kernel for the mark of the tables as they are now. ok is false when the
// kernel cannot say (no nf_tables, a kernel without netns cookies): then no snapshot can be
// trusted beyond the lock it was read under.
func CurrentMark() (m Mark, ok bool) {
	gen, err := nftGeneration()
	if err != nil {
		return Mark{}, false
	}
	cookie, err := netnsCookie()
	if err != nil {
		return Mark{}, false
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return Mark{}, false
	}
	return Mark{Boot: strings.TrimSpace(string(boot)), Netns: cookie, Generation: gen}, true
}

// nftGeneration is NFT_MSG_GETGEN: the namespace's ruleset generation.
func nftGeneration() (uint32, error) {
	const (
		nftMsgGetGen = 16
		nftMsgNewGen = 15
		nftaGenID    = 1
	)
	req := nl.NewNetlinkRequest(unix.NFNL_SUBSYS_NFTABLES<<8|nftMsgGetGen, 0)
	req.AddData(nfgenmsg{})
	msgs, err := req.Execute(unix.NETLINK_NETFILTER, unix.NFNL_SUBSYS_NFTABLES<<8|nftMsgNewGen)
	if err != nil {
		return 0, fmt.Errorf("nf_tables generation: %w", err)
	}
	for _, m := range msgs {
		if len(m) < 4 {
			continue
		}
		attrs, err := nl.ParseRouteAttr(m[4:])
		if err != nil {
			return 0, fmt.Errorf("nf_tables generation: %w", err)
		}
		for _, a := range attrs {
			if a.Attr.Type&^unix.NLA_F_NESTED == nftaGenID && len(a.Value) == 4 {
				return binary.BigEndian.Uint32(a.Value), nil
			}
		}
	}
	return 0, errors.New("nf_tables generation: no NFTA_GEN_ID in the answer")
}

// netnsCookie is SO_NETNS_COOKIE of a socket made here: an ID of this network namespace that
// the kernel never hands out twice in one boot (inode numbers are reused).
func netnsCookie() (uint64, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("netns cookie: %w", err)
	}
	defer unix.Close(fd)
	v, err := unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_NETNS_COOKIE)
	if err != nil {
		return 0, fmt.Errorf("netns cookie: %w", err)
	}
	return v, nil
}
