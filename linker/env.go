package linker

import (
	"strconv"
	"strings"
)

// Prefix is the environment prefix of a link: the alias upper-cased with each "-" turned into "_" and
// nothing else changed (§3), so "My-Redis.db" gives "MY_REDIS.DB" exactly as Docker does, even though
// a shell cannot expand such a name.
func Prefix(alias string) string {
	return strings.ToUpper(strings.ReplaceAll(alias, "-", "_"))
}

// Env returns one link's block of variables in §3's order: <P>_PORT for the first port, the range
// blocks, the per-port blocks, <P>_NAME and the copied child environment. ports are sorted here (in
// a copy) so the order never depends on the caller. The block may name a variable twice (a range's
// first port repeats its _ADDR and _PROTO); the runtime's merge keeps a name's first position and
// last value, which is what makes Docker's listing come out as the spec shows it.
func Env(alias, parentName, childIP string, ports []Port, childEnv []string) []string {
	p := Prefix(alias)
	ports = sortedCopy(ports)
	var env []string
	if len(ports) > 0 {
		env = append(env, p+"_PORT="+url(ports[0], childIP))
	}
	env = append(env, rangeBlocks(p, childIP, ports)...)
	for _, port := range ports {
		base := p + "_PORT_" + strconv.Itoa(port.Num) + "_" + strings.ToUpper(port.Proto)
		env = append(env,
			base+"="+url(port, childIP),
			base+"_ADDR="+childIP,
			base+"_PORT="+strconv.Itoa(port.Num),
			base+"_PROTO="+port.Proto,
		)
	}
	env = append(env, p+"_NAME="+LinkName(parentName, alias))
	for _, kv := range childEnv {
		k, v, ok := strings.Cut(kv, "=")
		// PATH and HOME describe the child's image, not a service the parent could use, so Docker
		// leaves them out; everything else (HOSTNAME included, when set) is copied verbatim.
		if !ok || k == "PATH" || k == "HOME" {
			continue
		}
		env = append(env, p+"_ENV_"+k+"="+v)
	}
	return env
}

// rangeBlocks implements §3 step 2: from index i, j extends while port[j].Num <= port[i].Num + (j-i).
// The protocol is ignored and a repeated number counts, which is Docker's nextContiguous; keeping
// its quirks is what makes example 2 match. A run of at least three entries gets a START/END block
// and the walk resumes after it; anything shorter advances by one.
func rangeBlocks(p, ip string, ports []Port) []string {
	var env []string
	for i := 0; i < len(ports); {
		j := i
		for j+1 < len(ports) && ports[j+1].Num <= ports[i].Num+(j+1-i) {
			j++
		}
		if j < i+2 {
			i++
			continue
		}
		s, e := ports[i], ports[j]
		num := strconv.Itoa(s.Num)
		start := p + "_PORT_" + num + "_" + strings.ToUpper(s.Proto)
		// The END names carry the start number with the end's protocol, as Docker writes them.
		end := p + "_PORT_" + num + "_" + strings.ToUpper(e.Proto)
		env = append(env,
			start+"_START="+url(s, ip),
			start+"_ADDR="+ip,
			start+"_PROTO="+s.Proto,
			start+"_PORT_START="+num,
			end+"_END="+url(e, ip),
			end+"_PORT_END="+strconv.Itoa(e.Num),
		)
		i = j + 1
	}
	return env
}

// url is a port's "<proto>://<ip>:<port>" value.
func url(p Port, ip string) string {
	return p.Proto + "://" + ip + ":" + strconv.Itoa(p.Num)
}
