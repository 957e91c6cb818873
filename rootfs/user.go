package rootfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
)

// User is a resolved container user.
type User struct {
	UID, GID         int
	AdditionalGroups []int
	Home             string // from the image's /etc/passwd; "/" without an entry, "/root" for uid 0 without one
}

// LookupUser resolves spec ("", "name", "uid", "name:group", "uid:gid") against the passwd and group
// files of the mounted root filesystem rootfs, as Docker does. "" means root. Home is the passwd
// entry's home directory, or "/" when there is no entry (Docker's rule; "/root" for uid 0 without
// an entry). Missing passwd or group files are fine for numeric specs.
func LookupUser(rootfs, spec string) (User, error) {
	passwd, err := openInRoot(rootfs, "/etc/passwd")
	if err != nil {
		return User{}, err
	}
	if passwd != nil {
		defer passwd.Close()
	}
	group, err := openInRoot(rootfs, "/etc/group")
	if err != nil {
		return User{}, err
	}
	if group != nil {
		defer group.Close()
	}
	// GetExecUser treats a nil reader as "no file" but a typed nil *os.File as a file; keep them
	// apart with plain io.Reader values.
	var pr, gr io.Reader
	if passwd != nil {
		pr = passwd
	}
	if group != nil {
		gr = group
	}
	eu, err := user.GetExecUser(spec, &user.ExecUser{}, pr, gr)
	if err != nil {
		return User{}, err
	}
	u := User{UID: eu.Uid, GID: eu.Gid, AdditionalGroups: eu.Sgids, Home: eu.Home}
	if u.Home == "" {
		u.Home = "/"
		if u.UID == 0 {
			u.Home = "/root"
		}
	}
	return u, nil
}

// openInRoot opens name inside rootfs with symlinks resolved inside it, since an image's
// /etc/passwd may be a symlink that must not reach the host's. A missing file is (nil, nil).
func openInRoot(rootfs, name string) (*os.File, error) {
	p, err := securejoin.SecureJoin(rootfs, name)
	if err != nil {
		return nil, fmt.Errorf("resolve %s in %s: %w", name, rootfs, err)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return f, nil
}
