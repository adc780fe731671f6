// The dashboard answers only requests addressed to this machine: a Host header naming another
// host (DNS rebinding, a proxied request) is refused. The header is parsed strictly as
// host[:port]: a name or IPv4 address, or an IPv6 address in brackets, then an optional port of
// digits (1-65535); anything else (userinfo, a second colon, trailing junk) is not local.
// Also: whether an address `serve` binds to is loopback (else it warns).

/** host[:port] with the host a name/IPv4 address or a bracketed IPv6 address. */
const HOST_HEADER = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::(\d{1,5}))?$/;

const IPV4_LOOPBACK = /^127\.(?:\d{1,3})\.(?:\d{1,3})\.(?:\d{1,3})$/;

function isIpv4Loopback(address: string): boolean {
  return (
    IPV4_LOOPBACK.test(address) &&
    address.split('.').every((part) => Number(part) <= 255 && !/^0\d/.test(part))
  );
}

function isIpv6Loopback(address: string): boolean {
  const lower = address.toLowerCase();
  if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  // An IPv4-mapped loopback address: ::ffff:127.x.y.z.
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  const ipv4 = mapped?.[1];
  return ipv4 !== undefined && isIpv4Loopback(ipv4);
}

/** True when the Host header names localhost, 127.x.y.z or [::1], with an optional valid port. */
export function isLocalHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const match = HOST_HEADER.exec(hostHeader.toLowerCase());
  if (!match) return false;
  const [, ipv6, name, port] = match;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return false;
  if (ipv6 !== undefined) return isIpv6Loopback(ipv6);
  return name === 'localhost' || (name !== undefined && isIpv4Loopback(name));
}

/** True when a bind address (as --host takes it) only listens on this machine. */
export function isLoopbackAddress(address: string): boolean {
  const lower = address.trim().toLowerCase();
  const bare = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return bare === 'localhost' || isIpv4Loopback(bare) || isIpv6Loopback(bare);
}
