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
}

func (e *BlockedAddrError) Error() string {
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

// dialGuard is the net.Dialer Control hook of the guarded transport. It runs
// after the socket is created and before connect, so a refused address
// never sees a packet.
func dialGuard(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// The dialer always passes a literal ip:port; anything else is
		// unexpected, and refusing is the safe answer.
		return fmt.Errorf("dial guard: unexpected address %q", address)
	}
	if isPrivate(ap.Addr()) {
		return &BlockedAddrError{Addr: ap.Addr()}
	}
	return nil
}
