package provider

import (
	"fmt"
	"net/netip"
	"syscall"
)

// BlockedAddrError is returned (wrapped) when the dial guard refuses an
// address. It is checked at dial time, after DNS, on the address actually
// connected to, so neither a hostname resolving to 10.x nor DNS rebinding
// gets past it.
type BlockedAddrError struct {
	Addr netip.Addr
	// Loopback is set when the provider is a local one whose exemption
	// covers this machine only.
	Loopback bool
}

func (e *BlockedAddrError) Error() string {
	if e.Loopback {
		return fmt.Sprintf("blocked private address %s: a local provider may only reach loopback (set allow_local: true to reach servers on your own network)", e.Addr)
	}
	return fmt.Sprintf("blocked private address %s: the provider is not marked local (set allow_local: true to reach servers on your own network)", e.Addr)
}

// blockedPrefixes are the non-public ranges netip's predicates do not cover.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"; 0.x reaches the host on Linux
	netip.MustParsePrefix("100.64.0.0/10"), // CGNAT (also Tailscale)
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, and broadcast
	netip.MustParsePrefix("fec0::/10"),     // deprecated site-local
}

// Prefixes that embed an IPv4 address: the embedded address decides.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// isPrivate reports whether a is anything but a public unicast address:
// loopback, RFC 1918, link-local (169.254/16 holds cloud metadata
// services), unspecified, multicast, CGNAT, ULA (fc00::/7) and the like.
func isPrivate(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsMulticast() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	b := a.As16()
	switch {
	case a.Is6() && nat64.Contains(a):
		return isPrivate(netip.AddrFrom4([4]byte(b[12:16])))
	case a.Is6() && sixToFour.Contains(a):
		return isPrivate(netip.AddrFrom4([4]byte(b[2:6])))
	}
	return false
}

// reach is how far a pool's dialer may go (see Client).
type reach uint8

const (
	reachPublic   reach = iota // public unicast only: every remote provider
	reachLoopback              // public and this machine: catalog local servers
	reachAny                   // anything: the operator's allow_local
)

// dialGuard is the net.Dialer Control hook of the guarded transport. It runs
// after the socket is created and before connect, so a refused address
// never sees a packet.
func dialGuard(_, address string, _ syscall.RawConn) error {
	return guardAddr(address, false)
}

// loopbackGuard is dialGuard for local providers: loopback passes, every
// other private address (the LAN, 169.254.169.254…) is still refused. It
// checks the address dialed, so a "localhost" that resolves elsewhere is
// refused too.
func loopbackGuard(_, address string, _ syscall.RawConn) error {
	return guardAddr(address, true)
}

func guardAddr(address string, loopbackOK bool) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// The dialer always passes a literal ip:port; anything else is
		// unexpected, and refusing is the safe answer.
		return fmt.Errorf("dial guard: unexpected address %q", address)
	}
	a := ap.Addr()
	if loopbackOK && a.WithZone("").Unmap().IsLoopback() {
		return nil
	}
	if isPrivate(a) {
		return &BlockedAddrError{Addr: a, Loopback: loopbackOK}
	}
	return nil
}

// control is the dialer's Control hook for a pool reaching r. connect, a
// test hook, sees every address the guard let through, just before the
// connect call.
func control(r reach, connect func(network, address string) error) func(string, string, syscall.RawConn) error {
	var guard func(string, string, syscall.RawConn) error
	switch r {
	case reachPublic:
		guard = dialGuard
	case reachLoopback:
		guard = loopbackGuard
	}
	if connect == nil {
		return guard
	}
	return func(network, address string, c syscall.RawConn) error {
		if guard != nil {
			if err := guard(network, address, c); err != nil {
				return err
			}
		}
		return connect(network, address)
	}
}
