package bridge

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
)

// dumpAttempts bounds the retries of a netlink dump. An interrupted dump means the kernel's tables
// changed while they were being read; on a busy host a few retries are enough to get a consistent one.
const dumpAttempts = 5

// retryDump runs a netlink dump until it is not interrupted. It never returns the partial data of an
// interrupted dump: a subnet choice or an address check made on it could be wrong.
func retryDump[T any](what string, dump func() ([]T, error)) ([]T, error) {
	var err error
	for range dumpAttempts {
		var out []T
		out, err = dump()
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil, fmt.Errorf("%s: still inconsistent after %d attempts: %w", what, dumpAttempts, err)
}

// addrList is netlink's AddrList (of h, or of the current namespace when h is nil) with retries.
func addrList(h *netlink.Handle, link netlink.Link, family int) ([]netlink.Addr, error) {
	return retryDump("list addresses", func() ([]netlink.Addr, error) {
		if h != nil {
			return h.AddrList(link, family)
		}
		return netlink.AddrList(link, family)
	})
}

// routeList is netlink's RouteList (of h, or of the current namespace when h is nil) with retries.
func routeList(h *netlink.Handle, link netlink.Link, family int) ([]netlink.Route, error) {
	return retryDump("list routes", func() ([]netlink.Route, error) {
		if h != nil {
			return h.RouteList(link, family)
		}
		return netlink.RouteList(link, family)
	})
}

// linkByName is netlink's LinkByName with retries: on kernels without lookup by name it falls back to
// a dump, which can be interrupted too.
func linkByName(h *netlink.Handle, name string) (netlink.Link, error) {
	var err error
	for range dumpAttempts {
		var l netlink.Link
		if h != nil {
			l, err = h.LinkByName(name)
		} else {
			l, err = netlink.LinkByName(name)
		}
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return l, err
		}
	}
	return nil, fmt.Errorf("find link %s: still inconsistent after %d attempts: %w", name, dumpAttempts, err)
}

// isLinkNotFound reports whether err says that a link does not exist.
func isLinkNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf)
}

// linkListRetry is netlink.LinkList, retried when the kernel's dump was interrupted.
func linkListRetry() ([]netlink.Link, error) {
	var err error
	for range dumpAttempts {
		var links []netlink.Link
		links, err = netlink.LinkList()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return links, err
		}
	}
	return nil, err
}
